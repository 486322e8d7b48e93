# PyTorch CUDA's side of dispatch-probe.mjs's W3 latency rows: one conv call + synchronize, median.
import time
import torch
torch.backends.cudnn.allow_tf32 = False
dev = torch.device('cuda')
for n in (1, 16):
    x = torch.ones(n, 64, 56, 56, device=dev)
    conv = torch.nn.Conv2d(64, 64, 3, padding=1).to(dev)
    with torch.no_grad():
        for _ in range(30):
            conv(x); torch.cuda.synchronize()
        ts = []
        for _ in range(300):
            t0 = time.perf_counter(); conv(x); torch.cuda.synchronize(); ts.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        for _ in range(300):
            conv(x)
        torch.cuda.synchronize()
        b2b = (time.perf_counter() - t0) / 300
    ts.sort()
    print(f'torch W3 N={n}: call + synchronize {ts[len(ts) // 2] * 1e6:.1f} us (median), back to back {b2b * 1e6:.1f} us/call')
torch.cuda.synchronize()
ts = []
for _ in range(300):
    t0 = time.perf_counter(); torch.cuda.synchronize(); ts.append(time.perf_counter() - t0)
ts.sort()
print(f'torch synchronize alone: {ts[150] * 1e6:.1f} us')
