"""The PyTorch (CPU) column of the isotensor benchmark: runs the cases bench/run.mjs passes and prints one JSON line.

    python bench/python/torch_worker.py --cases '[{"id": "W1a", "workload": "W1", "params": {...}, "timing": {...}}]' [--quick]

A workload is one function in WORKLOADS returning (call, dispose); the timing rules mirror bench/lib/timing.mjs.
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


def quick_options(opts, quick):
    if not quick:
        return opts
    reps = opts.get("reps", 10)
    return {**opts, "warmup": 1, "reps": max(2, -(-reps // 3)), "minReps": 2,
            "budgetMs": min(opts.get("budgetMs", 20000), 5000)}


def w1_gemm(torch, p):
    a = torch.rand(p["M"], p["K"])
    b = torch.rand(p["K"], p["N"])

    def call():
        torch.mm(a, b)  # CPU ops are synchronous: the result exists when mm returns
    return call


def w2_add_relu(torch, p):
    a = torch.rand(p["n"]) * 2 - 1
    b = torch.rand(p["n"]) * 2 - 1

    def call():
        torch.relu(torch.add(a, b))
    return call


def w6_tiny_adds(torch, p):
    x0 = torch.tensor([1.0, 2.0, 3.0, 4.0])
    b = torch.tensor([0.5, 0.25, 0.125, 0.0625])
    count = p["count"]

    def call():
        x = x0
        for _ in range(count):
            x = torch.add(x, b)
    return call


def w3_conv(torch, p):
    n = p["N"]
    conv = torch.nn.Conv2d(64, 64, 3, padding=1)
    x = torch.rand(n, 64, 56, 56)

    def call():
        conv(x)
    return call


def w4_mlp_train(torch, p):
    sizes = [784, 512, 512, 10]
    layers = []
    for i in range(3):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i < 2:
            layers.append(torch.nn.ReLU())
    net = torch.nn.Sequential(*layers)
    opt = torch.optim.SGD(net.parameters(), lr=1e-4)
    x = torch.rand(128, 784)
    label = torch.arange(128) % 10
    loss_fn = torch.nn.CrossEntropyLoss(reduction="sum")

    def call():
        with torch.enable_grad():
            opt.zero_grad()
            loss = loss_fn(net(x), label)
            loss.backward()
            opt.step()
    return call


WORKLOADS = {"W1": w1_gemm, "W2": w2_add_relu, "W3": w3_conv, "W4": w4_mlp_train, "W6": w6_tiny_adds}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", required=True)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    try:
        import torch
    except ImportError as e:
        emit({"skipped": f"torch not importable: {e}", "results": {}})
        return
    torch.set_num_threads(args.threads)
    info = {"name": "torch", "version": torch.__version__, "threads": torch.get_num_threads(),
            "mkl": torch.backends.mkl.is_available(), "mkldnn": torch.backends.mkldnn.is_available(),
            "cpu_capability": torch.backends.cpu.get_cpu_capability()}
    results = {}
    with torch.no_grad():  # W4 re-enables gradients for its own step
        for c in json.loads(args.cases):
            build = WORKLOADS.get(c["workload"])
            if build is None:
                results[c["id"]] = {"skipped": f"no torch implementation of {c['workload']}"}
                continue
            try:
                results[c["id"]] = measure(build(torch, c["params"]), **quick_options(c["timing"], args.quick))
            except Exception as e:  # one failing case must not lose the others
                results[c["id"]] = {"error": repr(e)}
    emit({"info": info, "results": results})


if __name__ == "__main__":
    main()
