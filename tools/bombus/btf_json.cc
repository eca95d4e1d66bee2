// `btf dump ... format raw` with -j: bpftool's {"types":[...]} rendering, one object per type.
// The fields come from btf::describe_type (the same description the raw text dump renders);
// this file only turns them into JSON.
#include "btf_json.h"

#include "btf/type_fields.h"

namespace bombus::cli {

namespace {

using J = nlohmann::ordered_json;

// Fields go into the type object, or into the current list item while one is open.
class JsonSink final : public btf::FieldSink {
 public:
  void header(uint32_t id, std::string_view kind, std::string_view name) override {
    obj_ = J{{"id", id}, {"kind", std::string(kind)}, {"name", std::string(name)}};
  }
  void number(std::string_view key, uint64_t v) override { target()[std::string(key)] = v; }
  void signed_number(std::string_view key, int64_t v) override { target()[std::string(key)] = v; }
  void text(std::string_view key, std::string_view v) override {
    target()[std::string(key)] = std::string(v);
  }
  void enum_value(std::string_view key, btf::EnumField v) override {
    J& t = target()[std::string(key)];
    if (v.is64)
      t = v.is_signed ? J(v.raw) : J(static_cast<uint64_t>(v.raw));
    else if (v.is_signed)
      t = static_cast<int64_t>(static_cast<int32_t>(v.raw));
    else  // bpftool 7.1 widens a 32-bit enumerator as signed before printing it unsigned.
      t = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(v.raw)));
  }
  void list_begin(std::string_view key) override {
    list_key_ = key;
    list_ = J::array();
  }
  void item_begin() override {
    item_ = J::object();
    in_item_ = true;
  }
  void item_end() override {
    list_.push_back(std::move(item_));
    in_item_ = false;
  }
  void list_end() override { obj_[list_key_] = std::move(list_); }
  J take() { return std::move(obj_); }

 private:
  J& target() { return in_item_ ? item_ : obj_; }

  J obj_, list_, item_;
  std::string list_key_;
  bool in_item_ = false;
};

}  // namespace

nlohmann::ordered_json btf_type_json(const btf::Btf& b, uint32_t id) {
  JsonSink sink;
  btf::describe_type(b, id, sink);
  return sink.take();
}

nlohmann::ordered_json btf_types_json(const btf::Btf& b, const std::vector<uint32_t>* roots) {
  J types = J::array();
  if (roots) {
    for (uint32_t id : *roots) {
      if (id == 0) {
        types.push_back({{"id", 0}, {"kind", "UNKNOWN"}, {"name", "(anon)"}});
      } else if (b.valid_id(id)) {
        types.push_back(btf_type_json(b, id));
      }
    }
  } else {
    for (uint32_t id = b.start_id(); id < b.type_count(); ++id)
      types.push_back(btf_type_json(b, id));
  }
  return J{{"types", types}};
}

}  // namespace bombus::cli
