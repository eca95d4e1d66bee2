// struct_ops maps against a hand-built kernel BTF: the map value is the kernel's
// bpf_struct_ops_<type> wrapper, members are matched by name (the kernel's order and offsets
// differ from the object's), programs get attach_btf_id and the member index, data members are
// copied into the kernel layout, and mismatches fail with libbpf's messages.
#include <gtest/gtest.h>

#include <cstring>

#include "bombus_progs.h"
#include "btf/btf.h"
#include "loader/object.h"

namespace bombus::loader {
namespace {

struct Kernel {
  std::shared_ptr<const btf::Btf> btf;
  uint32_t ops = 0, value = 0;
};

// struct tcp_congestion_ops { char name[16]; u64 pad; u32 (*ssthresh)(struct sock *);
//   void (*cong_avoid)(...); u32 (*undo_cwnd)(...); u32 flags; }  (flags_size: bytes of flags)
// struct bpf_struct_ops_tcp_congestion_ops { u64 common; struct tcp_congestion_ops data; }
Kernel make_kernel(uint32_t flags_size = 4, bool with_value = true) {
  btf::BtfBuilder b;
  uint32_t u8 = b.add_int("unsigned char", 1);
  uint32_t u32 = b.add_int("unsigned int", 4);
  uint32_t u64 = b.add_int("unsigned long long", 8);
  uint32_t flags_t = flags_size == 8 ? u64 : u32;
  uint32_t i32 = b.add_int("int", 4, btf::kIntSigned);
  uint32_t name = b.add_array(u8, i32, 16);
  uint32_t sock = b.add_fwd("sock");
  uint32_t psock = b.add_ptr(sock);
  uint32_t p1 = b.add_func_proto(u32, {{"sk", psock}});
  uint32_t p3 = b.add_func_proto(0, {{"sk", psock}, {"ack", u32}, {"acked", u32}});
  uint32_t f1 = b.add_ptr(p1), f3 = b.add_ptr(p3);
  Kernel k;
  k.ops = b.add_struct("tcp_congestion_ops", 64,
                       {{"name", name, 0, 0},
                        {"pad", u64, 128, 0},
                        {"ssthresh", f1, 192, 0},
                        {"cong_avoid", f3, 256, 0},
                        {"undo_cwnd", f1, 320, 0},
                        {"flags", flags_t, 384, 0}});
  if (with_value)
    k.value = b.add_struct("bpf_struct_ops_tcp_congestion_ops", 72,
                           {{"common", u64, 0, 0}, {"data", k.ops, 64, 0}});
  auto parsed = btf::Btf::parse(b.build());
  EXPECT_TRUE(parsed.ok()) << parsed.error().format();
  k.btf = std::make_shared<btf::Btf>(std::move(parsed).value());
  return k;
}

Result<ObjectSpec> open_with(const Kernel& k) {
  OpenOptions o;
  o.kernel_btf = k.btf;
  o.load_module_btfs = false;
  return open_object_file(progs::path("struct_ops"), o);
}

TEST(StructOps, MapDescribedInTheKernelLayout) {
  Kernel k = make_kernel();
  auto r = open_with(k);
  ASSERT_TRUE(r.ok()) << r.error().format();
  const MapSpec* m = r->find_map("bombus_cc");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->type, MapType::kStructOps);
  EXPECT_EQ(m->origin, MapOrigin::kStructOps);
  EXPECT_EQ(m->key_size, 4u);
  EXPECT_EQ(m->value_size, 72u);
  EXPECT_EQ(m->max_entries, 1u);
  EXPECT_EQ(m->map_flags, 0u);
  EXPECT_EQ(m->btf_vmlinux_value_type_id, k.value);
  ASSERT_TRUE(m->struct_ops.has_value());
  const StructOpsSpec& so = *m->struct_ops;
  EXPECT_EQ(so.type_name, "tcp_congestion_ops");
  EXPECT_EQ(so.kernel_type_id, k.ops);
  EXPECT_EQ(so.data_offset, 8u);
  ASSERT_EQ(so.programs.size(), 3u);
  std::map<std::string, std::pair<uint32_t, uint32_t>> slots;  // member -> (index, offset)
  for (const auto& s : so.programs) {
    EXPECT_EQ(s.program, "bombus_" + s.member);
    slots[s.member] = {s.member_index, s.value_offset};
  }
  EXPECT_EQ(slots["ssthresh"], std::make_pair(2u, 8u + 24u));
  EXPECT_EQ(slots["cong_avoid"], std::make_pair(3u, 8u + 32u));
  EXPECT_EQ(slots["undo_cwnd"], std::make_pair(4u, 8u + 40u));
  // name copied to data+0, flags (0) to data+48; program slots stay zero.
  ASSERT_EQ(m->initial_data.size(), 72u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(m->initial_data.data() + 8)), "bombus_cc");
  for (uint32_t off : {32u, 40u, 48u}) {
    uint64_t v = 1;
    std::memcpy(&v, m->initial_data.data() + off, 8);
    EXPECT_EQ(v, 0u) << off;
  }
  for (const ProgramSpec& p : r->programs) {
    EXPECT_EQ(p.type, ProgType::kStructOps) << p.name;
    EXPECT_EQ(p.attach_btf_id, k.ops) << p.name;
    ASSERT_TRUE(p.expected_attach_type.has_value()) << p.name;
    EXPECT_EQ(static_cast<uint32_t>(*p.expected_attach_type),
              slots[p.name.substr(std::strlen("bombus_"))].first)
        << p.name;
  }
  EXPECT_TRUE(r->unknown_sections.empty());
}

TEST(StructOps, LibbpfMessagesForMismatches) {
  auto size = open_with(make_kernel(8));
  ASSERT_FALSE(size.ok());
  EXPECT_NE(size.error().message.find(
                "struct_ops init_kern bombus_cc: Error in size of member flags: 4 != 8(kernel)"),
            std::string::npos)
      << size.error().format();
  auto value = open_with(make_kernel(4, false));
  ASSERT_FALSE(value.ok());
  EXPECT_NE(value.error().message.find("struct_ops init_kern: struct "
                                       "bpf_struct_ops_tcp_congestion_ops is not found in kernel "
                                       "BTF"),
            std::string::npos)
      << value.error().format();
}

}  // namespace
}  // namespace bombus::loader
