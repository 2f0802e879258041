"""ember.vision.models against torchvision's published architecture figures and a torch.nn reference.

torchvision is not installed, so the reference ResNet-18 is built from torch.nn here, with torchvision's
module names; weights are copied across and outputs compared."""

import numpy as np
import pytest
import torch
import torch.nn as tnn

import ember
import ember.vision as vision
from ember.vision import models

# ------------------------------------------------------------------ torch.nn reference (torchvision's layout)

class _TorchBasicBlock(tnn.Module):
    def __init__(self, inplanes, planes, stride=1):
        super().__init__()
        self.conv1 = tnn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = tnn.BatchNorm2d(planes)
        self.relu = tnn.ReLU(inplace=True)
        self.conv2 = tnn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = tnn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = tnn.Sequential(tnn.Conv2d(inplanes, planes, 1, stride, bias=False),
                                             tnn.BatchNorm2d(planes))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + identity)


class _TorchResNet18(tnn.Module):
    def __init__(self, num_classes=1000):
        super().__init__()
        self.conv1 = tnn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = tnn.BatchNorm2d(64)
        self.relu = tnn.ReLU(inplace=True)
        self.maxpool = tnn.MaxPool2d(3, 2, 1)
        inplanes = 64
        for index, (planes, stride) in enumerate([(64, 1), (128, 2), (256, 2), (512, 2)], start=1):
            setattr(self, f"layer{index}", tnn.Sequential(_TorchBasicBlock(inplanes, planes, stride),
                                                           _TorchBasicBlock(planes, planes)))
            inplanes = planes
        self.avgpool = tnn.AdaptiveAvgPool2d((1, 1))
        self.fc = tnn.Linear(512, num_classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def _randomized_reference(seed=0):
    torch.manual_seed(seed)
    ref = _TorchResNet18()
    with torch.no_grad():  # non-trivial BN statistics so eval mode exercises them
        for name, buf in ref.named_buffers():
            if name.endswith("running_mean"):
                buf.normal_(0, 0.1)
            elif name.endswith("running_var"):
                buf.uniform_(0.5, 1.5)
        for name, p in ref.named_parameters():
            if name.endswith("bn1.weight") or name.endswith("bn2.weight"):
                p.uniform_(0.5, 1.5)
    return ref


def _copy_into(ember_model, torch_state):
    ember_model.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy()) for k, v in torch_state.items()})


def _param_count(model):
    return sum(p.numel() for p in model.parameters())


# ------------------------------------------------------------------ structure

@pytest.fixture(scope="module")
def resnet18_pair():
    ref = _randomized_reference()
    model = models.resnet18()
    _copy_into(model, ref.state_dict())
    return model, ref


def test_resnet18_state_dict_matches_torchvision_layout():
    model = models.resnet18()
    ref = _TorchResNet18()
    ours = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    theirs = {k: tuple(v.shape) for k, v in ref.state_dict().items()}
    assert list(ours) == list(theirs)
    assert ours == theirs
    assert _param_count(model) == 11_689_512
    assert "layer2.0.downsample.0.weight" in ours and "layer2.0.downsample.1.running_var" in ours


@pytest.mark.parametrize("name, count", [
    ("resnet34", 21_797_672), ("resnet50", 25_557_032), ("resnext50_32x4d", 25_028_904),
    ("alexnet", 61_100_840),
])
def test_parameter_counts_match_torchvision(name, count):
    model = getattr(models, name)()
    assert _param_count(model) == count
    weights_enum = {"resnet34": models.ResNet34_Weights, "resnet50": models.ResNet50_Weights,
                    "resnext50_32x4d": models.ResNeXt50_32X4D_Weights, "alexnet": models.AlexNet_Weights}[name]
    assert weights_enum.DEFAULT.meta["num_params"] == count


def test_resnet50_bottleneck_names():
    keys = models.resnet50().state_dict().keys()
    for key in ["layer1.0.conv3.weight", "layer1.0.bn3.num_batches_tracked", "layer4.2.bn3.bias",
                "layer1.0.downsample.0.weight", "fc.weight"]:
        assert key in keys
    assert models.resnet50().fc.in_features == 2048
    assert tuple(models.resnext50_32x4d().layer1[0].conv2.weight.shape) == (128, 4, 3, 3)


def test_vgg_layout_and_counts():
    from ember.vision.models.vgg import cfgs, make_layers

    # the full models hold 130M+ parameters; their feature stacks plus the fixed classifier give the counts
    classifier = 512 * 7 * 7 * 4096 + 4096 + 4096 * 4096 + 4096 + 4096 * 1000 + 1000
    assert _param_count(make_layers(cfgs["A"])) + classifier == 132_863_336
    assert _param_count(make_layers(cfgs["A"], batch_norm=True)) + classifier == 132_868_840
    assert _param_count(make_layers(cfgs["D"])) + classifier == 138_357_544
    assert _param_count(make_layers(cfgs["D"], batch_norm=True)) + classifier == 138_365_992
    keys = list(make_layers(cfgs["A"], batch_norm=True).state_dict())
    assert keys[:6] == ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var"]


def test_torchvision_init():
    ember.manual_seed(0)
    model = models.resnet18(zero_init_residual=True)
    assert float(model.bn1.weight.min()) == 1.0 and float(model.bn1.bias.abs().max()) == 0.0
    assert float(model.layer1[0].bn2.weight.abs().max()) == 0.0
    assert float(model.layer1[0].bn1.weight.min()) == 1.0
    # kaiming_normal_(mode="fan_out", nonlinearity="relu"): std = sqrt(2 / (out_channels * k * k))
    w = model.layer4[0].conv1.weight.detach().numpy()
    expected_std = np.sqrt(2.0 / (512 * 3 * 3))
    assert abs(w.std() / expected_std - 1) < 0.02
    assert abs(w.mean()) < 0.1 * expected_std


# ------------------------------------------------------------------ forward vs torch

@pytest.mark.parametrize("train", [False, True])
def test_resnet18_forward_matches_torch(resnet18_pair, train):
    model, ref = resnet18_pair
    model.train(train)
    ref.train(train)
    x = np.random.default_rng(1).standard_normal((2 if train else 1, 3, 64, 64)).astype(np.float32)
    with torch.no_grad():
        expected = ref(torch.from_numpy(x)).numpy()
    with ember.no_grad():
        actual = model(ember.from_numpy(x)).numpy()
    ref.eval()
    model.eval()
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4)


def test_resnet18_backward_runs():
    model = models.resnet18(num_classes=3)
    out = model(ember.randn(2, 3, 32, 32))
    out.sum().backward()
    assert model.conv1.weight.grad is not None and tuple(model.fc.weight.grad.shape) == (3, 512)


# ------------------------------------------------------------------ weights enums and checkpoint loading

def test_weights_enum():
    w = models.ResNet18_Weights.DEFAULT
    assert w is models.ResNet18_Weights.IMAGENET1K_V1
    assert w.url == "https://download.pytorch.org/models/resnet18-f37072fd.pth"
    assert w.meta["num_params"] == 11_689_512
    assert models.ResNet50_Weights.DEFAULT is models.ResNet50_Weights.IMAGENET1K_V2
    assert models.ResNet18_Weights.verify("IMAGENET1K_V1") is w
    assert models.get_weight("ResNet18_Weights.IMAGENET1K_V1") is w
    with pytest.raises(TypeError):
        models.resnet18(weights=models.ResNet34_Weights.DEFAULT)
    categories = w.meta["categories"]
    assert len(categories) == 1000 and len(set(categories)) == 1000
    # ImageNet-1K class indices as every ImageNet classifier reports them
    assert [categories[i] for i in (0, 1, 207, 281, 409, 954, 999)] == [
        "tench", "goldfish", "golden retriever", "tabby", "analog clock", "banana", "toilet tissue"]


def test_weights_transforms_preset():
    preset = models.ResNet18_Weights.DEFAULT.transforms()
    img = ember.from_numpy(np.random.default_rng(0).integers(0, 256, (3, 300, 400), dtype=np.uint8))
    out = preset(img)
    assert tuple(out.shape) == (3, 224, 224) and out.dtype == ember.float32
    # reference: torch's bilinear antialias resize to 256 on the short edge, centre crop, scale, normalize
    t = torch.from_numpy(img.numpy().copy()).float()[None]
    resized = torch.nn.functional.interpolate(t, size=(256, 341), mode="bilinear", antialias=True,
                                              align_corners=False).round().clamp(0, 255)[0]
    top, left = int(round((256 - 224) / 2)), int(round((341 - 224) / 2))
    cropped = resized[:, top:top + 224, left:left + 224] / 255
    mean = torch.tensor([0.485, 0.456, 0.406]).view(-1, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(-1, 1, 1)
    np.testing.assert_allclose(out.numpy(), ((cropped - mean) / std).numpy(), atol=2e-2)


def test_pretrained_loads_from_torch_home(tmp_path, monkeypatch, resnet18_pair):
    _, ref = resnet18_pair
    ref.eval()
    checkpoints = tmp_path / "hub" / "checkpoints"
    checkpoints.mkdir(parents=True)
    torch.save(ref.state_dict(), checkpoints / "resnet18-f37072fd.pth")  # a real torch-format checkpoint
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    model = models.resnet18(weights=models.ResNet18_Weights.DEFAULT, progress=False).eval()
    x = np.random.default_rng(2).standard_normal((1, 3, 64, 64)).astype(np.float32)
    with torch.no_grad():
        expected = ref(torch.from_numpy(x)).numpy()
    with ember.no_grad():
        np.testing.assert_allclose(model(ember.from_numpy(x)).numpy(), expected, rtol=1e-4, atol=1e-4)


def test_pretrained_loads_from_ember_home(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty"))
    monkeypatch.setenv("EMBER_HOME", str(tmp_path / "ember"))
    target = tmp_path / "ember" / "hub" / "checkpoints"
    target.mkdir(parents=True)
    source = models.alexnet(num_classes=1000)
    ember.save(source.state_dict(), str(target / "alexnet-owt-7be5be79.pth"))
    loaded = models.alexnet(weights="IMAGENET1K_V1")
    np.testing.assert_array_equal(loaded.features[0].weight.detach().numpy(),
                                  source.features[0].weight.detach().numpy())


def test_missing_checkpoint_error_names_the_path(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.delenv("EMBER_HOME", raising=False)
    expected = str(tmp_path / "hub" / "checkpoints" / "resnet18-f37072fd.pth")
    with pytest.raises(RuntimeError) as info:
        models.resnet18(weights=models.ResNet18_Weights.IMAGENET1K_V1)
    assert expected in str(info.value)
    with pytest.raises(ValueError):
        models.resnet18(weights="IMAGENET1K_V1", num_classes=10)


def test_vision_namespace():
    assert vision.models.resnet18 is models.resnet18
    assert callable(vision.transforms.Compose) and callable(vision.utils.make_grid)


# ------------------------------------------------------------------ MobileNetV2 vs a torch.nn reference

def _torch_cna(inp, out, kernel=3, stride=1, groups=1):
    return tnn.Sequential(tnn.Conv2d(inp, out, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False),
                          tnn.BatchNorm2d(out), tnn.ReLU6(inplace=True))


class _TorchInvertedResidual(tnn.Module):
    def __init__(self, inp, oup, stride, expand_ratio):
        super().__init__()
        hidden = int(round(inp * expand_ratio))
        self.use_res_connect = stride == 1 and inp == oup
        layers = [_torch_cna(inp, hidden, 1)] if expand_ratio != 1 else []
        layers += [_torch_cna(hidden, hidden, stride=stride, groups=hidden), tnn.Conv2d(hidden, oup, 1, bias=False),
                   tnn.BatchNorm2d(oup)]
        self.conv = tnn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


class _TorchMobileNetV2(tnn.Module):
    def __init__(self):
        super().__init__()
        features = [_torch_cna(3, 32, stride=2)]
        channels = 32
        for t, c, n, s in [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1],
                           [6, 160, 3, 2], [6, 320, 1, 1]]:
            for i in range(n):
                features.append(_TorchInvertedResidual(channels, c, s if i == 0 else 1, t))
                channels = c
        features.append(_torch_cna(channels, 1280, 1))
        self.features = tnn.Sequential(*features)
        self.classifier = tnn.Sequential(tnn.Dropout(0.2), tnn.Linear(1280, 1000))

    def forward(self, x):
        x = torch.nn.functional.adaptive_avg_pool2d(self.features(x), (1, 1))
        return self.classifier(torch.flatten(x, 1))


def test_mobilenet_v2_matches_torch_reference():
    torch.manual_seed(0)
    ref = _TorchMobileNetV2().eval()
    with torch.no_grad():
        for name, buf in ref.named_buffers():
            if name.endswith("running_var"):
                buf.uniform_(0.5, 1.5)
    model = models.mobilenet_v2().eval()
    ours = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert list(ours) == list(ref.state_dict())
    assert ours == {k: tuple(v.shape) for k, v in ref.state_dict().items()}
    assert _param_count(model) == 3_504_872 == models.MobileNet_V2_Weights.DEFAULT.meta["num_params"]
    _copy_into(model, ref.state_dict())
    x = np.random.default_rng(3).standard_normal((1, 3, 32, 32)).astype(np.float32)
    with torch.no_grad():
        expected = ref(torch.from_numpy(x)).numpy()
    with ember.no_grad():
        np.testing.assert_allclose(model(ember.from_numpy(x)).numpy(), expected, rtol=1e-4, atol=1e-4)


ALL_WEIGHTS = [getattr(models, name) for name in models.__all__ if name.endswith("_Weights")]


def test_weights_meta_as_torchvision():
    # torchvision's key order (its _COMMON_META first, then the entry's own keys)
    assert list(models.ResNet18_Weights.IMAGENET1K_V1.meta) == [
        "min_size", "categories", "num_params", "recipe", "_metrics", "_ops", "_file_size", "_docs"]
    assert list(models.VGG11_Weights.IMAGENET1K_V1.meta)[:4] == ["min_size", "categories", "recipe", "_docs"]
    members = [w for enum in ALL_WEIGHTS for w in enum]
    assert len(ALL_WEIGHTS) == 13 and len(members) == 20
    for w in members:
        meta = w.meta
        assert isinstance(meta["min_size"], tuple) and isinstance(meta["num_params"], int)
        assert set(meta["_metrics"]["ImageNet-1K"]) == {"acc@1", "acc@5"} and meta["_docs"].strip()
        assert meta["_file_size"] > 0 and meta["_ops"] > 0
        if w is not models.VGG16_Weights.IMAGENET1K_FEATURES:
            assert meta["categories"] is models.ResNet18_Weights.DEFAULT.meta["categories"]  # one shared list
    assert models.VGG16_Weights.IMAGENET1K_FEATURES.meta["categories"] is None
    assert models.AlexNet_Weights.DEFAULT.meta["min_size"] == (63, 63)
    assert models.ResNet50_Weights.IMAGENET1K_V2.meta["_metrics"]["ImageNet-1K"]["acc@1"] == 80.858
    preset = models.VGG16_Weights.IMAGENET1K_FEATURES.transforms()
    assert preset.mean == [0.48235, 0.45882, 0.40784] and preset.std == [1.0 / 255.0] * 3
