#include "edgeinfer/op_resolver.h"

#include <cstring>

namespace edgeinfer {

Status OpResolver::add(BuiltinOp op, const Kernel& kernel) {
  if (op == BuiltinOp::kCustom)
    return Status::error(StatusCode::kInvalidArgument, "register custom ops with add_custom(name, kernel)");
  return add_entry(static_cast<int32_t>(op), nullptr, kernel);
}

Status OpResolver::add_custom(const char* name, const Kernel& kernel) {
  if (name == nullptr || name[0] == '\0')
    return Status::error(StatusCode::kInvalidArgument, "custom op name is empty");
  return add_entry(static_cast<int32_t>(BuiltinOp::kCustom), name, kernel);
}

Status OpResolver::add_entry(int32_t builtin_code, const char* custom_name, const Kernel& kernel) {
  if (kernel.prepare == nullptr || kernel.eval == nullptr)
    return Status::error(StatusCode::kInvalidArgument, "kernel %s lacks prepare or eval",
                         kernel.name ? kernel.name : "(unnamed)");
  for (int i = 0; i < count_; ++i) {
    OpRegistration& entry = entries_[i];
    const bool same_custom = custom_name == nullptr
                                 ? entry.custom_name == nullptr
                                 : entry.custom_name != nullptr && strcmp(entry.custom_name, custom_name) == 0;
    if (entry.builtin_code == builtin_code && same_custom) {
      entry.kernel = &kernel;  // a later registration (optimized, accelerator) takes over the op
      return Status::ok();
    }
  }
  if (count_ >= capacity_)
    return Status::error(StatusCode::kInvalidArgument, "op resolver is full (%d ops): raise its capacity",
                         capacity_);
  entries_[count_++] = OpRegistration{builtin_code, custom_name, &kernel};
  return Status::ok();
}

const Kernel* OpResolver::find(int32_t builtin_code, const char* custom_name) const {
  for (int i = 0; i < count_; ++i) {
    const OpRegistration& entry = entries_[i];
    if (entry.builtin_code != builtin_code) continue;
    if (builtin_code != static_cast<int32_t>(BuiltinOp::kCustom)) return entry.kernel;
    if (custom_name != nullptr && entry.custom_name != nullptr && strcmp(entry.custom_name, custom_name) == 0)
      return entry.kernel;
  }
  return nullptr;
}

}  // namespace edgeinfer
