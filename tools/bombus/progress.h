// A one-line progress bar on the terminal for long runs (`net run` over a big capture,
// `filter`): percentage, a bar, the rate in items/s and the time left, redrawn at most ten
// times a second on stderr. It stays silent unless stderr is a terminal, the output is not
// JSON, and the run has lasted long enough to be worth a bar (so pipes, scripts and short runs
// see nothing), and it erases its line when done.
#pragma once

#include <cstdint>
#include <string>

namespace bombus::cli {

class Progress {
 public:
  // `unit` names the items counted ("packets"). Enabled only when `allowed` (not -j) and
  // stderr is a terminal.
  Progress(bool allowed, std::string unit);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // `items` done so far; `done`/`total` the position in the input (total 0 = unknown: no bar
  // and no time left, only the count and rate).
  void update(uint64_t items, uint64_t done, uint64_t total);
  // Erases the line (if one was drawn).
  void finish();

  bool enabled() const { return enabled_; }

 private:
  bool enabled_ = false;
  bool drawn_ = false;
  std::string unit_;
  uint64_t start_ns_ = 0;
  uint64_t last_ns_ = 0;
};

// "1.5 M", "830 k", "12": a count with an SI suffix.
std::string si_count(double v);
// "1:05", "12s", "2h03m": a short duration.
std::string short_duration(double seconds);

}  // namespace bombus::cli
