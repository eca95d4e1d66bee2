// `format raw`: bpftool's per-type text layout, rendered from describe_type's fields
// (type_fields.h). Written with a small appender (to_chars, no iostreams) because vmlinux renders
// to ~12 MB.
#include <charconv>

#include "btf/dump.h"
#include "btf/type_fields.h"

namespace bombus::btf {
namespace {

// "[ID] KIND 'name' key=value ...", list items on their own "\n\t" lines ("'name' key=value").
// bpftool's text quirks live here: VAR's linkage follows a comma, and DATASEC entries end with
// the variable's "(KIND 'name')".
class TextSink final : public FieldSink {
 public:
  TextSink(const Btf& b, std::string& s) : b_(b), s_(s) {}

  void header(uint32_t id, std::string_view kind, std::string_view name) override {
    s_.push_back('[');
    append(id);
    s_.append("] ").append(kind).append(" '").append(name).push_back('\'');
    is_var_ = kind == "VAR";
  }
  void number(std::string_view key, uint64_t v) override {
    if (key == "type_id") last_type_ = static_cast<uint32_t>(v);
    start(key);
    append(v);
  }
  void signed_number(std::string_view key, int64_t v) override {
    start(key);
    append(v);
  }
  void text(std::string_view key, std::string_view v) override {
    if (in_item_ && key == "name") {
      s_.push_back('\'');
      s_.append(v).push_back('\'');
      first_in_item_ = false;
      return;
    }
    if (is_var_ && key == "linkage") s_.push_back(',');
    start(key);
    s_.append(v);
  }
  void enum_value(std::string_view key, EnumField v) override {
    start(key);
    if (!v.is64) {
      if (v.is_signed)
        append(static_cast<int32_t>(v.raw));
      else
        append(static_cast<uint32_t>(v.raw));
    } else if (v.is_signed) {
      append(v.raw);
      s_.append("LL");
    } else {
      append(static_cast<uint64_t>(v.raw));
      s_.append("ULL");
    }
  }
  void list_begin(std::string_view key) override { is_vars_ = key == "vars"; }
  void item_begin() override {
    s_.append("\n\t");
    in_item_ = first_in_item_ = true;
  }
  void item_end() override {
    if (is_vars_) {
      Type vt = b_.type(last_type_);
      s_.append(" (").append(kind_name(vt.kind())).append(" '");
      s_.append(vt.name().empty() ? "(anon)" : vt.name()).append("')");
    }
    in_item_ = first_in_item_ = false;
  }
  void list_end() override { is_vars_ = false; }
  void end_type() { s_.push_back('\n'); }

 private:
  void start(std::string_view key) {
    if (!first_in_item_) s_.push_back(' ');
    first_in_item_ = false;
    s_.append(key).push_back('=');
  }
  template <typename T>
  void append(T v) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    s_.append(buf, r.ptr);
  }

  const Btf& b_;
  std::string& s_;
  bool is_var_ = false, is_vars_ = false, in_item_ = false, first_in_item_ = false;
  uint32_t last_type_ = 0;
};

}  // namespace

void dump_raw_type(const Btf& btf, uint32_t id, std::string& out) {
  TextSink sink(btf, out);
  describe_type(btf, id, sink);
  sink.end_type();
}

void dump_raw(const Btf& btf, std::string& out) {
  TextSink sink(btf, out);
  for (uint32_t id = btf.start_id(); id < btf.type_count(); ++id) {
    describe_type(btf, id, sink);
    sink.end_type();
  }
}

std::string dump_raw(const Btf& btf) {
  std::string s;
  s.reserve(size_t(btf.type_count() - btf.start_id()) * 96);
  dump_raw(btf, s);
  return s;
}

}  // namespace bombus::btf
