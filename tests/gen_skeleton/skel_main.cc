// Runs against the header `bombus gen skeleton` made from skel_prog.bpf.o at build time: sets a
// .rodata constant before load, runs the program with test_run, then reads the map and the .bss
// variables through the typed pointers. Exits nonzero (with a message) on the first mismatch.
#include <cstdio>
#include <cstring>
#include <vector>

#include "skel_prog.skel.h"

#define CHECK(cond)                                                                 \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      return 1;                                                                     \
    }                                                                               \
  } while (0)

int main() {
  auto s = skel_prog::open();
  if (!s.ok()) {
    std::fprintf(stderr, "open: %s\n", s.error().format().c_str());
    return 1;
  }
  auto& skel = **s;
  CHECK(skel.progs.skel_xdp != nullptr);
  CHECK(skel.rodata != nullptr && skel.data != nullptr && skel.bss != nullptr);
  // Initial values from the object, visible before load.
  CHECK(skel.rodata->threshold == 100);
  CHECK(skel.rodata->mode == skel_prog__btf::MODE_COUNT);
  CHECK(skel.data->bias == 5);
  skel.rodata->threshold = 64;
  skel.rodata->mode = skel_prog__btf::MODE_DROP;
  skel.data->bias = 1000;
  if (auto st = skel.load(); !st.ok()) {
    std::fprintf(stderr, "load: %s\n", st.error().format().c_str());
    return 1;
  }
  CHECK(skel.maps.lens != nullptr && skel.maps.bss != nullptr);
  std::vector<uint8_t> small(20, 0), big(20, 0);  // the first byte is the input value
  small[0] = 60;
  big[0] = 90;
  bombus::TestRun r;
  r.data_in = small;
  auto a = skel.progs.skel_xdp->test_run(r);
  CHECK(a.ok() && a->retval == 2 /* XDP_PASS */);
  r.data_in = big;
  auto b = skel.progs.skel_xdp->test_run(r);
  CHECK(b.ok() && b->retval == 1 /* XDP_DROP */);  // 90 >= threshold 64 set through the skeleton
  // .bss through the typed pointer (the live map value after load).
  CHECK(skel.bss->st.packets == 2);
  CHECK(skel.bss->st.bytes == 150);
  CHECK(skel.bss->st.small == 1);
  CHECK(skel.bss->st.flag == 1);
  CHECK(skel.bss->st.hist[0] == 1 && skel.bss->st.hist[2] == 1);
  CHECK(skel.bss->last_len == 1090);
  // The hash map, read through bombus::Map.
  uint32_t k = 90;
  auto v = skel.maps.lens->lookup({reinterpret_cast<const uint8_t*>(&k), 4});
  CHECK(v.ok() && v->size() == 8);
  uint64_t val = 0;
  std::memcpy(&val, v->data(), 8);
  CHECK(val == 180);
  // Writing through the pointer changes what the program sees.
  skel.data->bias = 0;
  r.data_in = small;
  CHECK(skel.progs.skel_xdp->test_run(r).ok());
  CHECK(skel.bss->last_len == 60);
  std::printf("skeleton ok\n");
  return 0;
}
