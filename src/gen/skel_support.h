// Run-time support for headers made by `bombus gen skeleton`: access to the global-data images
// of an opened (not yet loaded) object, and to the live map values once it is loaded.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "base/result.h"
#include "bombus/bombus.h"

namespace bombus::gen {

// The initial contents of global-data map `section` (".rodata", ".bss", ...) before load(),
// sized to the map's value size. Writes change what load() puts in the map. Empty span when the
// object has no such map. Valid until load() or the object's destruction.
std::span<uint8_t> initial_data(Object& obj, std::string_view section);

// Element 0 of global-data map `section` after load(): the memory programs read and write.
// nullptr when the object is not loaded or has no such map.
uint8_t* global_data(Object& obj, std::string_view section);

}  // namespace bombus::gen
