"""`python -m ember demo`: train a small CNN on the bundled 8x8 digits, written exactly as a PyTorch script would be
(read `torch` for `ember` everywhere below).

Optional extras: tqdm draws a progress bar per epoch (otherwise one plain line per epoch), matplotlib writes
loss.png and misclassified.png (otherwise they are skipped with a note).
"""

import os
import time

import ember as torch
from ember import nn
from ember.utils.data import DataLoader
from ember.vision import datasets, transforms

DEFAULT_OUT_DIR = "ember-demo"


def build_model():
    """Two 3x3 convolutions, one 2x2 max-pool and two linear layers: about 45k parameters."""
    return nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=3, padding=1), nn.ReLU(),
        nn.Conv2d(16, 32, kernel_size=3, padding=1), nn.ReLU(),
        nn.MaxPool2d(2),                                   # 8x8 -> 4x4
        nn.Flatten(),
        nn.Linear(32 * 4 * 4, 64), nn.ReLU(),
        nn.Linear(64, 10),
    )


def _progress(iterable, description, total):
    """tqdm's bar when tqdm is installed, else the iterable itself (the epoch summary line is printed anyway)."""
    try:
        from tqdm import tqdm
    except ImportError:
        return iterable
    return tqdm(iterable, desc=description, total=total, leave=False, unit="batch")


def train_one_epoch(model, loader, loss_fn, optimizer, description):
    model.train()
    batch_losses = []
    for images, labels in _progress(loader, description, len(loader)):
        optimizer.zero_grad()
        loss = loss_fn(model(images), labels)
        loss.backward()
        optimizer.step()
        batch_losses.append(loss.item())
    return batch_losses


@torch.no_grad()
def evaluate(model, loader):
    """Returns (accuracy, list of (image, true label, predicted label) for every mistake)."""
    model.eval()
    correct, total, mistakes = 0, 0, []
    for images, labels in loader:
        predictions = model(images).argmax(dim=1)
        correct += (predictions == labels).sum().item()
        total += labels.numel()
        for index in (predictions != labels).nonzero().flatten().tolist():
            mistakes.append((images[index, 0], labels[index].item(), predictions[index].item()))
    return correct / total, mistakes


def _save_plots(out_dir, batch_losses, batches_per_epoch, mistakes):
    try:
        import matplotlib
        matplotlib.use("Agg")  # files only, no window
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: skipped loss.png and misclassified.png (pip install matplotlib)")
        return

    figure, axes = plt.subplots(figsize=(6, 4))
    steps = [step / batches_per_epoch for step in range(1, len(batch_losses) + 1)]
    axes.plot(steps, batch_losses, linewidth=1)
    axes.set(xlabel="epoch", ylabel="cross-entropy loss", title="ember demo: training loss", yscale="log")
    figure.tight_layout()
    figure.savefig(os.path.join(out_dir, "loss.png"), dpi=100)
    plt.close(figure)

    shown = mistakes[:32]
    columns = 8
    rows = max(1, -(-len(shown) // columns))
    figure, grid = plt.subplots(rows, columns, figsize=(columns * 1.2, rows * 1.4), squeeze=False)
    for axes in grid.flat:
        axes.axis("off")
    for axes, (image, label, predicted) in zip(grid.flat, shown):
        axes.imshow(image.numpy(), cmap="gray_r", vmin=0, vmax=1)
        axes.set_title(f"{label} as {predicted}", fontsize=8, color="firebrick")
    figure.suptitle(f"misclassified test digits (true as predicted): {len(mistakes)} in all", fontsize=9)
    figure.tight_layout()
    figure.savefig(os.path.join(out_dir, "misclassified.png"), dpi=100)
    plt.close(figure)
    print(f"wrote {os.path.join(out_dir, 'loss.png')} and {os.path.join(out_dir, 'misclassified.png')}")


def main(epochs=10, batch_size=64, out_dir=DEFAULT_OUT_DIR, plots=True, learning_rate=3e-3):
    torch.manual_seed(0)  # same data order, same initial weights, same numbers on every run

    to_tensor = transforms.ToTensor()  # PIL image 0..255 -> float tensor 1x8x8 in [0, 1]
    train_set = datasets.Digits(train=True, transform=to_tensor)
    test_set = datasets.Digits(train=False, transform=to_tensor)
    train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=256)

    model = build_model()
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    parameter_count = sum(parameter.numel() for parameter in model.parameters())
    print(f"ember demo: {len(train_set)} training / {len(test_set)} test digits (8x8), "
          f"CNN with {parameter_count:,} parameters, {epochs} epochs")

    all_batch_losses, accuracy, mistakes = [], 0.0, []
    started = time.perf_counter()
    for epoch in range(1, epochs + 1):
        batch_losses = train_one_epoch(model, train_loader, loss_fn, optimizer, f"epoch {epoch}/{epochs}")
        all_batch_losses += batch_losses
        accuracy, mistakes = evaluate(model, test_loader)
        mean_loss = sum(batch_losses) / len(batch_losses)
        print(f"epoch {epoch:2d}/{epochs}  loss {mean_loss:.4f}  test accuracy {accuracy:.2%}  "
              f"({time.perf_counter() - started:.1f}s)", flush=True)

    os.makedirs(out_dir, exist_ok=True)
    checkpoint = os.path.join(out_dir, "digits_cnn.pt")
    torch.save(model.state_dict(), checkpoint)
    print(f"saved {checkpoint}: PyTorch loads it too, e.g. model.load_state_dict(torch.load({checkpoint!r})) "
          "with the same nn.Sequential in real PyTorch")
    if plots:
        _save_plots(out_dir, all_batch_losses, len(train_loader), mistakes)
    print(f"final test accuracy {accuracy:.2%}")
    return 0
