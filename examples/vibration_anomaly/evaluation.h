// Scoring a detector against the simulator's ground truth (host, C++20): detection delay per injected fault,
// false alarms per hour, drift reported as drift and never as a fault, and the AUC of an anomaly score per
// fault type. Definitions in README.md ("Evaluation"); the structs convert to JSON (nlohmann::json j = x).
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <span>
#include <vector>

#include "examples/vibration_anomaly/machine_simulator.h"

namespace edgeinfer::vibration {

enum class AlertKind { kFault, kDrift };

// One alert the detector raised (a message that would leave the device), at the end of the window it judged.
struct Alert {
  double time_s = 0;
  AlertKind kind = AlertKind::kFault;
};

struct EvaluationConfig {
  double grace_s = 10;          // a fault's window is [start, end + grace): the detector's window lags
  double drift_grace_s = 1800;  // a drift episode's window is [start, end + drift_grace)
};

struct FaultOutcome {
  EventType type = EventType::kNone;
  double injected_at_s = 0;
  double duration_s = 0;
  float severity = 0;
  std::optional<double> detected_at_s;  // first fault alert in [start, end + grace); null if missed
  std::optional<double> delay_s;        // detected_at_s - injected_at_s
};

struct DriftOutcome {
  double start_s = 0;
  double duration_s = 0;
  float severity = 0;
  std::optional<double> reported_at_s;  // first drift alert in [start, end + drift_grace)
  int fault_alerts = 0;                 // fault alerts in the episode's window outside every fault window
};

struct Evaluation {
  std::vector<FaultOutcome> faults;
  std::vector<DriftOutcome> drifts;
  double hours = 0;  // the schedule's duration
  int fault_alerts = 0, drift_alerts = 0;
  int faults_detected = 0, faults_missed = 0;
  std::optional<double> max_delay_s;  // over detected faults
  // Fault alerts outside every fault window, plus drift alerts outside every fault and drift window.
  int false_alarms = 0;
  double false_alarms_per_hour = 0;
  bool drift_reported = false;      // every drift episode got a drift alert in its window (false if none)
  int drift_reported_as_fault = 0;  // sum of DriftOutcome::fault_alerts
  bool drift_never_as_fault = true;
};

// Alerts may come in any order. The schedule's events need not be sorted.
Evaluation evaluate(const Schedule& schedule, std::span<const Alert> alerts,
                    const EvaluationConfig& config = EvaluationConfig());

// Exact Mann-Whitney AUC: P(score of a positive > score of a negative), ties counting 1/2. Null if either
// side is empty or a score is NaN.
std::optional<double> auc(std::span<const double> negatives, std::span<const double> positives);

// A detector's score for the window [start_s, end_s).
struct ScoredWindow {
  double start_s = 0;
  double end_s = 0;
  double score = 0;
};

struct WindowLabelConfig {
  double onset_s = 0;            // skip this much of each fault's start (its severity ramp) for positives
  double grace_s = 10;           // healthy windows keep this far from the end of faults
  bool drift_is_healthy = true;  // windows during drift count as healthy (drift is not a fault)
};

// kFault: the window lies within [start + onset, end) of one fault (type in `fault`); kHealthy: it overlaps
// no fault's [start, end + grace) (and no drift unless drift_is_healthy); kExcluded: anything else.
enum class WindowClass { kHealthy, kFault, kExcluded };
struct WindowLabel {
  WindowClass cls = WindowClass::kExcluded;
  EventType fault = EventType::kNone;
};
WindowLabel label_window(const Schedule& schedule, double start_s, double end_s,
                         const WindowLabelConfig& config = WindowLabelConfig());

struct FaultTypeAuc {
  EventType type = EventType::kNone;
  int positives = 0, negatives = 0;
  std::optional<double> auc;
};

// One entry per fault type (in kFaultTypes order): that type's windows against all healthy windows.
std::vector<FaultTypeAuc> auc_per_fault_type(const Schedule& schedule, std::span<const ScoredWindow> windows,
                                             const WindowLabelConfig& config = WindowLabelConfig());

void to_json(nlohmann::json& j, const FaultOutcome& x);
void to_json(nlohmann::json& j, const DriftOutcome& x);
void to_json(nlohmann::json& j, const Evaluation& x);
void to_json(nlohmann::json& j, const FaultTypeAuc& x);

}  // namespace edgeinfer::vibration
