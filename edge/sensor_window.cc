// SensorWindow is a header-only template; this instance makes the freestanding check
// (scripts/check_freestanding.sh compiles edge/*.cc for Cortex-M) and the host library compile it.
#include "edge/sensor_window.h"

namespace edgeinfer {
namespace edge {

template class SensorWindow<3, 2048>;

}  // namespace edge
}  // namespace edgeinfer
