#include "kernels/common/flexbuffer_map.h"

#include <cstring>

#include "edgeinfer/schema/tflite_generated.h"

namespace edgeinfer {
namespace {

// FlexBuffers type codes (flexbuffers.h) this reader understands.
enum FlexType : int {
  kInt = 1,
  kUInt = 2,
  kFloat = 3,
  kIndirectInt = 6,
  kIndirectUInt = 7,
  kIndirectFloat = 8,
  kMap = 9,
  kBool = 26,
};

bool valid_width(uint64_t width) {
  return width == 1 || width == 2 || width == 4 || width == 8;
}

// True when [at, at + bytes) lies inside [begin, begin + size).
bool inside(const uint8_t* begin, size_t size, const uint8_t* at, uint64_t bytes) {
  return at >= begin && bytes <= size && static_cast<uint64_t>(at - begin) <= size - bytes;
}

uint64_t read_unsigned(const uint8_t* at, uint32_t width) {
  uint64_t value = 0;
  for (uint32_t i = 0; i < width; ++i) value |= static_cast<uint64_t>(at[i]) << (8 * i);
  return value;
}

int64_t read_signed(const uint8_t* at, uint32_t width) {
  const uint64_t raw = read_unsigned(at, width);
  if (width == 8) return static_cast<int64_t>(raw);
  const uint64_t sign = uint64_t{1} << (8 * width - 1);
  return static_cast<int64_t>((raw ^ sign) - sign);
}

double read_float(const uint8_t* at, uint32_t width) {
  if (width == 4) {
    float f;
    memcpy(&f, at, 4);
    return f;
  }
  double d;
  memcpy(&d, at, 8);
  return d;
}

Status invalid(const char* what) {
  return Status::error(StatusCode::kInvalidModel, "custom options: %s", what);
}

}  // namespace

Status FlexbufferMap::parse(const uint8_t* data, size_t size, FlexbufferMap* map) {
  *map = FlexbufferMap();
  if (data == nullptr || size < 3) return invalid("shorter than a FlexBuffer root");
  const uint32_t root_width = data[size - 1];
  const int root_type = data[size - 2] >> 2;
  if (!valid_width(root_width) || size < 2 + static_cast<size_t>(root_width)) {
    return invalid("bad root byte width");
  }
  if (root_type != kMap) return invalid("root is not a map");
  const uint8_t* root = data + size - 2 - root_width;
  const uint64_t map_offset = read_unsigned(root, root_width);
  const uint32_t width = 1u << (data[size - 2] & 3);
  if (map_offset > static_cast<uint64_t>(root - data)) return invalid("map offset outside the buffer");
  const uint8_t* values = root - map_offset;
  // A map's values are preceded by its key vector's offset, the key vector's byte width and its length.
  if (static_cast<size_t>(values - data) < 3 * width) return invalid("map header outside the buffer");
  const uint64_t count = read_unsigned(values - width, width);
  const uint64_t keys_width = read_unsigned(values - 2 * width, width);
  const uint64_t keys_offset = read_unsigned(values - 3 * width, width);
  if (count > size || !inside(data, size, values, count * (width + 1)))
    return invalid("map values outside the buffer");
  if (!valid_width(keys_width)) return invalid("bad key vector byte width");
  const uint8_t* keys_field = values - 3 * width;
  if (keys_offset > static_cast<uint64_t>(keys_field - data))
    return invalid("key vector offset outside the buffer");
  const uint8_t* keys = keys_field - keys_offset;
  if (!inside(data, size, keys, count * keys_width)) return invalid("key vector outside the buffer");
  // Keys are offsets to NUL-terminated strings that must end inside the buffer.
  for (uint64_t i = 0; i < count; ++i) {
    const uint8_t* field = keys + i * keys_width;
    const uint64_t offset = read_unsigned(field, static_cast<uint32_t>(keys_width));
    if (offset > static_cast<uint64_t>(field - data)) return invalid("key offset outside the buffer");
    const uint8_t* key = field - offset;
    if (memchr(key, 0, size - static_cast<size_t>(key - data)) == nullptr) return invalid("unterminated key");
  }
  map->data_ = data;
  map->size_ = size;
  map->values_ = values;
  map->keys_ = keys;
  map->count_ = count;
  map->width_ = width;
  map->keys_width_ = static_cast<uint32_t>(keys_width);
  return Status::ok();
}

int FlexbufferMap::find(const char* key) const {
  for (uint64_t i = 0; i < count_; ++i) {
    const uint8_t* field = keys_ + i * keys_width_;
    const char* name = reinterpret_cast<const char*>(field - read_unsigned(field, keys_width_));
    if (strcmp(name, key) == 0) return static_cast<int>(i);
  }
  return -1;
}

Status FlexbufferMap::entry(const char* key, int* type, const uint8_t** value) const {
  const int index = find(key);
  if (index < 0) return Status::error(StatusCode::kInvalidModel, "custom options: no \"%s\"", key);
  *type = values_[count_ * width_ + static_cast<uint64_t>(index)];
  *value = values_ + static_cast<uint64_t>(index) * width_;
  return Status::ok();
}

Status FlexbufferMap::get_int64(const char* key, int64_t* value) const {
  int packed = 0;
  const uint8_t* at = nullptr;
  EI_RETURN_IF_ERROR(entry(key, &packed, &at));
  const int type = packed >> 2;
  uint32_t width = width_;
  if (type == kIndirectInt || type == kIndirectUInt) {
    // The inline field is an offset back to the value, stored at its own width.
    const uint64_t offset = read_unsigned(at, width_);
    width = 1u << (packed & 3);
    if (offset > static_cast<uint64_t>(at - data_) || !inside(data_, size_, at - offset, width)) {
      return Status::error(StatusCode::kInvalidModel, "custom options: \"%s\" points outside the buffer",
                           key);
    }
    at -= offset;
  }
  switch (type) {
    case kInt:
    case kIndirectInt: *value = read_signed(at, width); return Status::ok();
    case kUInt:
    case kIndirectUInt:
    case kBool: {
      const uint64_t raw = read_unsigned(at, width);
      if (raw > static_cast<uint64_t>(INT64_MAX)) break;
      *value = static_cast<int64_t>(raw);
      return Status::ok();
    }
    default:
      return Status::error(StatusCode::kInvalidModel, "custom options: \"%s\" is not an integer (type %d)",
                           key, type);
  }
  return Status::error(StatusCode::kInvalidModel, "custom options: \"%s\" is out of range", key);
}

Status FlexbufferMap::get_int32(const char* key, int32_t* value) const {
  int64_t wide = 0;
  EI_RETURN_IF_ERROR(get_int64(key, &wide));
  if (wide < INT32_MIN || wide > INT32_MAX) {
    return Status::error(StatusCode::kInvalidModel, "custom options: \"%s\" = %lld does not fit int32", key,
                         static_cast<long long>(wide));
  }
  *value = static_cast<int32_t>(wide);
  return Status::ok();
}

Status FlexbufferMap::get_bool(const char* key, bool* value) const {
  int64_t wide = 0;
  EI_RETURN_IF_ERROR(get_int64(key, &wide));
  *value = wide != 0;
  return Status::ok();
}

Status FlexbufferMap::get_float(const char* key, float* value) const {
  int packed = 0;
  const uint8_t* at = nullptr;
  EI_RETURN_IF_ERROR(entry(key, &packed, &at));
  const int type = packed >> 2;
  if (type == kFloat && (width_ == 4 || width_ == 8)) {
    *value = static_cast<float>(read_float(at, width_));
    return Status::ok();
  }
  if (type == kIndirectFloat) {
    const uint64_t offset = read_unsigned(at, width_);
    const uint32_t width = 1u << (packed & 3);
    if ((width == 4 || width == 8) && offset <= static_cast<uint64_t>(at - data_) &&
        inside(data_, size_, at - offset, width)) {
      *value = static_cast<float>(read_float(at - offset, width));
      return Status::ok();
    }
    return Status::error(StatusCode::kInvalidModel, "custom options: \"%s\" points outside the buffer", key);
  }
  int64_t integer = 0;
  EI_RETURN_IF_ERROR(get_int64(key, &integer));
  *value = static_cast<float>(integer);
  return Status::ok();
}

Status read_custom_options(const KernelContext& context, FlexbufferMap* map) {
  const auto* options = context.op()->custom_options();
  if (options == nullptr || options->size() == 0) {
    return Status::error(StatusCode::kInvalidModel, "custom op has no custom_options");
  }
  return FlexbufferMap::parse(options->data(), options->size(), map);
}

}  // namespace edgeinfer
