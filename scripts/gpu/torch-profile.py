"""PyTorch CUDA's device time per kernel for the GPU benchmark cases (docs/GPU.md): the peer side of
ISOTENSOR_GPU_PROFILE. Runs each case's torch call (bench/python/torch_worker.py) under
torch.profiler after a warm-up and prints the kernels by total CUDA time.

    python3 scripts/gpu/torch-profile.py W3b W5b
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bench", "python"))
import torch  # noqa: E402
from torch.profiler import ProfilerActivity, profile  # noqa: E402
import torch_worker as tw  # noqa: E402

CASES = {"W1a": (tw.w1_gemm, {"M": 256, "K": 1024, "N": 2048}), "W1b": (tw.w1_gemm, {"M": 2048, "K": 2048, "N": 2048}),
         "W3a": (tw.w3_conv, {"N": 1}), "W3b": (tw.w3_conv, {"N": 16}),
         "W5a": (tw.w5_resnet18, {"N": 1}), "W5b": (tw.w5_resnet18, {"N": 16})}

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
reps = int(os.environ.get("PROFILE_REPS", "20"))
for name in sys.argv[1:] or ["W3b", "W5b"]:
    build, params = CASES[name]
    with torch.no_grad():
        call = build(torch, params, "cuda")
        for _ in range(5):
            call()
        torch.cuda.synchronize()
        with profile(activities=[ProfilerActivity.CUDA]) as prof:
            for _ in range(reps):
                call()
            torch.cuda.synchronize()
    print(f"torch {name}: {reps} calls, CUDA kernels by total time")
    print(prof.key_averages().table(sort_by="cuda_time_total", row_limit=14, max_name_column_width=60))
