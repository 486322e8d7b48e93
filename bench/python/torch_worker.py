"""The PyTorch columns of the isotensor benchmark (torch on the CPU, torch-cuda on GPU 0): runs the cases
bench/run.mjs passes and prints one JSON line.

    python bench/python/torch_worker.py --cases '[{"id": "W1a", "workload": "W1", "params": {...}, "timing": {...}}]' \
        [--quick] [--threads N] [--device cpu|cuda]

A workload is one function in WORKLOADS, (torch, params, device) -> call; the timing rules mirror
bench/lib/timing.mjs. On CUDA every timed repetition ends with torch.cuda.synchronize(), so the median is
the wall time of one call with its result computed (kernels are launched asynchronously), and TF32 is
off for matmul and cuDNN so float32 is compared with float32. Without a visible CUDA device the column
reports `skipped` with the reason.
"""
import argparse
import json
import os
import statistics
import time

RESULT_TAG = "@@BENCH-RESULT "


def emit(obj):
    print("\n" + RESULT_TAG + json.dumps(obj), flush=True)


def measure(call, warmup=2, reps=10, minReps=3, budgetMs=20000):
    for _ in range(warmup):
        call()
    times = []
    spent = 0.0
    while len(times) < reps and (len(times) < minReps or spent < budgetMs):
        t0 = time.perf_counter()
        call()
        dt = (time.perf_counter() - t0) * 1000.0
        times.append(dt)
        spent += dt
    return {"median": statistics.median(times), "min": min(times), "max": max(times),
            "mean": sum(times) / len(times), "n": len(times)}


def synchronized(call, sync):
    """On CUDA a repetition ends when the device has finished the kernels the call launched."""
    def timed():
        call()
        sync()
    return timed


def quick_options(opts, quick):
    if not quick:
        return opts
    reps = opts.get("reps", 10)
    return {**opts, "warmup": 1, "reps": max(2, -(-reps // 3)), "minReps": 2,
            "budgetMs": min(opts.get("budgetMs", 20000), 5000)}


def w1_gemm(torch, p, dev):
    a = torch.rand(p["M"], p["K"], device=dev)
    b = torch.rand(p["K"], p["N"], device=dev)

    def call():
        torch.mm(a, b)  # CPU ops are synchronous; on CUDA measure() synchronizes after the call
    return call


def w2_add_relu(torch, p, dev):
    a = torch.rand(p["n"], device=dev) * 2 - 1
    b = torch.rand(p["n"], device=dev) * 2 - 1

    def call():
        torch.relu(torch.add(a, b))
    return call


def w6_tiny_adds(torch, p, dev):
    x0 = torch.tensor([1.0, 2.0, 3.0, 4.0], device=dev)
    b = torch.tensor([0.5, 0.25, 0.125, 0.0625], device=dev)
    count = p["count"]

    def call():
        x = x0
        for _ in range(count):
            x = torch.add(x, b)
    return call


def w3_conv(torch, p, dev):
    n = p["N"]
    conv = torch.nn.Conv2d(64, 64, 3, padding=1).to(dev)
    x = torch.rand(n, 64, 56, 56, device=dev)

    def call():
        conv(x)
    return call


def w4_mlp_train(torch, p, dev):
    sizes = [784, 512, 512, 10]
    layers = []
    for i in range(3):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i < 2:
            layers.append(torch.nn.ReLU())
    net = torch.nn.Sequential(*layers).to(dev)
    opt = torch.optim.SGD(net.parameters(), lr=1e-4)
    x = torch.rand(128, 784, device=dev)
    label = torch.arange(128, device=dev) % 10
    loss_fn = torch.nn.CrossEntropyLoss(reduction="sum")

    def call():
        with torch.enable_grad():
            opt.zero_grad()
            loss = loss_fn(net(x), label)
            loss.backward()
            opt.step()
    return call


def w7_lstm(torch, p, dev):
    """One LSTM training step without an optimizer (bench/workloads/w7-lstm.mjs): nn.LSTM(I, H, num_layers=L),
    input (T, B, I) uniform in [-1, 1), zero initial states, loss = sum of the outputs, backward into fresh
    gradients of every weight (set to None before each step, as isotensor's gradients are written, not summed)."""
    T, B, I, H, L = p["T"], p["B"], p["I"], p["H"], p["L"]
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(I, H, num_layers=L).to(dev)  # weights uniform in +-1/sqrt(H), as the other peers
    x = torch.rand(T, B, I, device=dev) * 2 - 1
    params = list(lstm.parameters())

    def call():
        with torch.enable_grad():
            for q in params:
                q.grad = None
            out, _ = lstm(x)
            out.sum().backward()
    call()
    if any(q.grad is None or not bool(torch.isfinite(q.grad).all()) for q in params):
        raise RuntimeError("LSTM check: a gradient is missing or not finite")
    return call


def w8_lenet_epoch(torch, p, dev):
    """LeNet, 64 batches of 64 synthetic 28x28 images, SGD momentum 0.9 lr 0.05 (bench/workloads/w8-lenet-epoch.mjs)."""
    nn = torch.nn
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(1, 20, 5), nn.ReLU(), nn.MaxPool2d(2, 2),
        nn.Conv2d(20, 50, 5), nn.ReLU(), nn.MaxPool2d(2, 2),
        nn.Flatten(), nn.Linear(800, 500), nn.ReLU(), nn.Linear(500, 10)).to(dev)
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    data = []
    for b in range(64):
        y = (torch.arange(64) * 7 + b * 3) % 10
        x = torch.rand(64, 1, 28, 28) * 0.3
        for i in range(64):
            r = 2 + 2 * int(y[i])
            x[i, 0, r:r + 3, 4:24] += 1
        data.append((x.to(dev), y.to(dev)))

    def call():
        with torch.enable_grad():
            for x, y in data:
                opt.zero_grad()
                loss = loss_fn(net(x), y)
                loss.backward()
                opt.step()
    return call


def resnet18(torch):
    """ResNet-18 v1 (torchvision's layout, written out here: the local torchvision wheel does not import).

    Weights and BatchNorm statistics are random, with the ranges bench/workloads/w5-resnet18.mjs uses
    (seeded: torch.manual_seed(0)); inference runs the moving statistics (model.eval()).
    """
    nn = torch.nn

    def conv(cin, cout, k, stride):
        return nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=False)

    class BasicBlock(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = conv(cin, cout, 3, stride)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = conv(cout, cout, 3, 1)
            self.bn2 = nn.BatchNorm2d(cout)
            self.relu = nn.ReLU(inplace=True)
            self.downsample = (nn.Sequential(conv(cin, cout, 1, stride), nn.BatchNorm2d(cout))
                               if stride != 1 or cin != cout else None)

        def forward(self, x):
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            identity = x if self.downsample is None else self.downsample(x)
            return self.relu(out + identity)

    class ResNet18(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = conv(3, 64, 7, 2)
            self.bn1 = nn.BatchNorm2d(64)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
            layers, cin = [], 64
            for i, cout in enumerate([64, 128, 256, 512]):
                stride = 1 if i == 0 else 2
                layers.append(nn.Sequential(BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1)))
                cin = cout
            self.layer1, self.layer2, self.layer3, self.layer4 = layers
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(512, 1000)

        def forward(self, x):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
            return self.fc(torch.flatten(self.avgpool(x), 1))

    torch.manual_seed(0)
    model = ResNet18()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                fan_in = m.weight[0].numel()
                bound = (3.0 / fan_in) ** 0.5  # variance 1 / fan_in, as the isotensor weights
                m.weight.uniform_(-bound, bound)
                if m.bias is not None:
                    m.bias.uniform_(-0.1, 0.1)
            elif isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.1, 0.1)
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    return model.eval()


def w5_resnet18(torch, p, dev):
    model = resnet18(torch).to(dev)
    x = torch.rand(p["N"], 3, 224, 224, device=dev) * 2 - 1
    with torch.no_grad():
        y = model(x)
    if tuple(y.shape) != (p["N"], 1000) or not bool(torch.isfinite(y).all()):
        raise RuntimeError(f"ResNet-18 check: output {tuple(y.shape)}, finite {bool(torch.isfinite(y).all())}")

    def call():
        with torch.no_grad():
            model(x)
    return call


WORKLOADS = {"W1": w1_gemm, "W2": w2_add_relu, "W3": w3_conv, "W4": w4_mlp_train, "W5": w5_resnet18,
             "W6": w6_tiny_adds, "W7": w7_lstm, "W8": w8_lenet_epoch}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", required=True)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    args = ap.parse_args()
    try:
        import torch
    except ImportError as e:
        emit({"skipped": f"torch not importable: {e}", "results": {}})
        return
    torch.set_num_threads(args.threads)
    info = {"name": "torch", "version": torch.__version__, "threads": torch.get_num_threads(),
            "device": args.device, "mkl": torch.backends.mkl.is_available(),
            "mkldnn": torch.backends.mkldnn.is_available(),
            "cpu_capability": torch.backends.cpu.get_cpu_capability()}
    sync = None
    if args.device == "cuda":
        if not torch.cuda.is_available():
            emit({"skipped": f"no CUDA device visible to torch {torch.__version__} "
                             f"(torch.cuda.is_available() is False; built with CUDA {torch.version.cuda})",
                  "results": {}})
            return
        # float32 against float32: no TF32 tensor-core shortcut in matmul or cuDNN convolutions.
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cudnn.benchmark = False
        sync = torch.cuda.synchronize
        info.update({"cuda": torch.version.cuda, "gpu": torch.cuda.get_device_name(0),
                     "cudnn": torch.backends.cudnn.version(), "allow_tf32": False, "cudnn_benchmark": False})
    results = {}
    with torch.no_grad():  # the training workloads (W4, W7, W8) re-enable gradients for their own step
        for c in json.loads(args.cases):
            build = WORKLOADS.get(c["workload"])
            if build is None:
                results[c["id"]] = {"skipped": f"no torch implementation of {c['workload']}"}
                continue
            try:
                call = build(torch, c["params"], args.device)
                if sync is not None:
                    sync()  # the builder's own work (inputs, check) is not timed
                    call = synchronized(call, sync)
                results[c["id"]] = measure(call, **quick_options(c["timing"], args.quick))
            except Exception as e:  # one failing case must not lose the others
                results[c["id"]] = {"error": repr(e)}
            finally:
                if sync is not None:
                    torch.cuda.empty_cache()
    emit({"info": info, "results": results})


if __name__ == "__main__":
    main()
