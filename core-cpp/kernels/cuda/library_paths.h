// Where NVIDIA's run-time libraries (cuBLAS, cuDNN) may live: candidate files for dlopen.
#pragma once
#include <string>
#include <vector>

namespace ist {

// In order: the file named by environment variable `envVar`, each of `names` bare (the loader's
// standard paths and LD_LIBRARY_PATH), then each name in the CUDA toolkit folders and in the
// folders `wheelSubdirs` (e.g. "/nvidia/cudnn/lib") under every Python site-packages we can find.
std::vector<std::string> nvidiaLibraryCandidates(const char* envVar, const std::vector<std::string>& names,
                                                 const std::vector<std::string>& wheelSubdirs);

// Opens, with RTLD_GLOBAL, each of `companions` found in `path`'s folder (libraries the one at
// `path` loads by name, which a wheel's folder may not put on the search path).
void preloadCompanions(const std::string& path, const std::vector<std::string>& companions);

}  // namespace ist
