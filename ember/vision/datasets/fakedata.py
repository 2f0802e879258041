"""torchvision.datasets.fakedata's place: FakeData, random images that are the same for the same index."""

from ... import _dtype
from ...ops.random import randint, randn
from ...random import fork_rng, manual_seed
from .folder import VisionDataset

__all__ = ["FakeData"]


class FakeData(VisionDataset):
    """`size` images drawn from the default generator seeded with `index + random_offset` (its state is restored
    afterwards), as torchvision does, so the same index gives the same (PIL image, int target)."""

    def __init__(self, size=1000, image_size=(3, 224, 224), num_classes=10, transform=None, target_transform=None,
                 random_offset=0):
        super().__init__(transform=transform, target_transform=target_transform)
        self.size = size
        self.num_classes = num_classes
        self.image_size = image_size
        self.random_offset = random_offset

    def __getitem__(self, index):
        from ..transforms import functional as F

        if index >= len(self):
            raise IndexError(f"{self.__class__.__name__} index out of range")
        with fork_rng():
            manual_seed(index + self.random_offset)
            image = randn(*self.image_size)
            target = randint(0, self.num_classes, size=(1,), dtype=_dtype.int64)[0]

        image = F.to_pil_image(image)
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target.item()

    def __len__(self):
        return self.size
