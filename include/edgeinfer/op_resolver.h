// Selective op registration: an application adds only the kernels its model uses, so a firmware image links
// only those. Adding a kernel for an op that already has one replaces it (how optimized or accelerator
// kernels take over an op).
#pragma once

#include <cstdint>

#include "edgeinfer/kernel.h"
#include "edgeinfer/ops.h"
#include "edgeinfer/status.h"

namespace edgeinfer {

struct OpRegistration {
  int32_t builtin_code = -1;        // BuiltinOperator value; kCustom for custom ops
  const char* custom_name = nullptr;  // for custom ops
  const Kernel* kernel = nullptr;
};

class OpResolver {
 public:
  OpResolver(const OpResolver&) = delete;
  OpResolver& operator=(const OpResolver&) = delete;

  Status add(BuiltinOp op, const Kernel& kernel);
  Status add_custom(const char* name, const Kernel& kernel);
  // Null when nothing is registered for the op.
  const Kernel* find(int32_t builtin_code, const char* custom_name) const;
  int size() const { return count_; }

 protected:
  OpResolver(OpRegistration* storage, int capacity) : entries_(storage), capacity_(capacity) {}

 private:
  Status add_entry(int32_t builtin_code, const char* custom_name, const Kernel& kernel);

  OpRegistration* entries_;
  int capacity_;
  int count_ = 0;
};

// An OpResolver with room for `kCapacity` ops, all storage inline (no heap).
template <int kCapacity>
class MutableOpResolver : public OpResolver {
 public:
  MutableOpResolver() : OpResolver(storage_, kCapacity) {}

 private:
  OpRegistration storage_[kCapacity];
};

}  // namespace edgeinfer
