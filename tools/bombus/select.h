// PROG and MAP selectors of bpftool's grammar (`id N`, `pinned FILE`, `tag TAG`, `name NAME`),
// resolved against the store, plus the text/JSON printers that `show` uses.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <vector>

#include "cli.h"
#include "store/store.h"

namespace bombus::cli {

// Opens the store named by the globals and collects garbage (objects whose pins are gone).
Result<store::Store> open_store(const Globals& g);

// Parses a PROG/MAP selector and returns the matching ids (name and tag may match several).
Result<std::vector<uint32_t>> select_objects(Args& args, const store::Store& st, store::Kind kind);
// Like select_objects but exactly one object is required.
Result<uint32_t> select_one(Args& args, const store::Store& st, store::Kind kind);

// bpftool's `prog show` / `map show` formats for one object's metadata.
void print_prog_text(const nlohmann::ordered_json& meta, const std::vector<std::string>& pins);
void print_map_text(const nlohmann::ordered_json& meta, const std::vector<std::string>& pins);
// `prog show` / `map show`: every object of a kind, or the ones a selector names, as text or
// JSON. `refresh` may update metadata from the live object before printing.
int show_objects(Args& args, const Globals& g, store::Kind kind,
                 const std::function<void(uint32_t, nlohmann::ordered_json&)>& refresh = {});

// The public part of the metadata (fields starting with '_' are the store's own).
nlohmann::ordered_json public_meta(const nlohmann::ordered_json& meta);

}  // namespace bombus::cli
