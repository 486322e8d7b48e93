// Candidate locations of NVIDIA's run-time libraries for dlopen (kernels/cuda/library_paths.h).
#include "kernels/cuda/library_paths.h"
#include <dlfcn.h>
#include <glob.h>
#include <cstdlib>

namespace ist {
namespace {

std::vector<std::string> globAll(const std::string& pattern) {
  std::vector<std::string> r;
  glob_t g;
  if (glob(pattern.c_str(), 0, nullptr, &g) == 0)
    for (size_t i = 0; i < g.gl_pathc; ++i) r.push_back(g.gl_pathv[i]);
  globfree(&g);
  return r;
}

}  // namespace

std::vector<std::string> nvidiaLibraryCandidates(const char* envVar, const std::vector<std::string>& names,
                                                 const std::vector<std::string>& wheelSubdirs) {
  std::vector<std::string> c;
  if (const char* p = std::getenv(envVar)) c.push_back(p);
  for (auto& n : names) c.push_back(n);  // standard paths and LD_LIBRARY_PATH
  std::vector<std::string> dirs;
  if (const char* h = std::getenv("CUDA_HOME")) dirs.push_back(std::string(h) + "/lib64");
  dirs.push_back("/usr/local/cuda/lib64");
  dirs.push_back("/usr/local/cuda/targets/x86_64-linux/lib");
  dirs.push_back("/usr/lib/x86_64-linux-gnu");
  std::vector<std::string> sitePatterns = {"/usr/lib/python3*/site-packages", "/usr/lib/python3/dist-packages",
                                           "/usr/local/lib/python3*/dist-packages", "/usr/local/lib/python3*/site-packages",
                                           "/opt/*/.venv/lib/python3*/site-packages", "/opt/conda/lib/python3*/site-packages",
                                           "/opt/*/lib/python3*/site-packages"};
  if (const char* v = std::getenv("VIRTUAL_ENV")) sitePatterns.push_back(std::string(v) + "/lib/python3*/site-packages");
  if (const char* h = std::getenv("HOME")) sitePatterns.push_back(std::string(h) + "/.local/lib/python3*/site-packages");
  if (const char* pp = std::getenv("PYTHONPATH")) {
    std::string s = pp;
    for (size_t b = 0, e; b <= s.size(); b = e + 1) {
      e = s.find(':', b);
      if (e == std::string::npos) e = s.size();
      if (e > b) sitePatterns.push_back(s.substr(b, e - b));
    }
  }
  for (auto& sp : sitePatterns)
    for (auto& site : globAll(sp))
      for (auto& sub : wheelSubdirs) dirs.push_back(site + sub);
  for (auto& d : dirs)
    for (auto& n : names) c.push_back(d + "/" + n);
  return c;
}

void preloadCompanions(const std::string& path, const std::vector<std::string>& companions) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return;
  std::string dir = path.substr(0, slash + 1);
  for (auto& lib : companions) dlopen((dir + lib).c_str(), RTLD_NOW | RTLD_GLOBAL);
}


}  // namespace ist
