// Progress bar for long CLI runs (see progress.h).
#include "progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace bombus::cli {

namespace {

constexpr uint64_t kDelayNs = 500'000'000;   // no bar for runs shorter than this
constexpr uint64_t kRedrawNs = 100'000'000;  // at most ten redraws a second
constexpr int kBarWidth = 24;

uint64_t now_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace

std::string si_count(double v) {
  if (v >= 1e9) return fmt::format("{:.1f} G", v / 1e9);
  if (v >= 1e6) return fmt::format("{:.1f} M", v / 1e6);
  if (v >= 1e3) return fmt::format("{:.0f} k", v / 1e3);
  return fmt::format("{:.0f}", v);
}

std::string short_duration(double s) {
  if (s < 0) s = 0;
  const auto t = static_cast<uint64_t>(s + 0.5);
  if (t < 60) return fmt::format("{}s", t);
  if (t < 3600) return fmt::format("{}:{:02}", t / 60, t % 60);
  return fmt::format("{}h{:02}m", t / 3600, (t % 3600) / 60);
}

Progress::Progress(bool allowed, std::string unit)
    : enabled_(allowed && isatty(STDERR_FILENO) == 1), unit_(std::move(unit)) {
  start_ns_ = now_ns();
}

Progress::~Progress() {
  finish();
}

void Progress::update(uint64_t items, uint64_t done, uint64_t total) {
  if (!enabled_) return;
  const uint64_t now = now_ns();
  if (now - start_ns_ < kDelayNs || now - last_ns_ < kRedrawNs) return;
  last_ns_ = now;
  const double secs = static_cast<double>(now - start_ns_) / 1e9;
  const double rate = secs > 0 ? static_cast<double>(items) / secs : 0;
  std::string line;
  if (total > 0) {
    const double frac = std::min(1.0, static_cast<double>(done) / static_cast<double>(total));
    const int fill = static_cast<int>(frac * kBarWidth);
    const double left = frac > 0 ? secs * (1 - frac) / frac : 0;
    line =
        fmt::format("{:3.0f}% [{}{}] {} {}, {} {}/s, {} left", frac * 100, std::string(fill, '#'),
                    std::string(kBarWidth - fill, '.'), si_count(static_cast<double>(items)), unit_,
                    si_count(rate), unit_, short_duration(left));
  } else {
    line = fmt::format("{} {}, {} {}/s, {} elapsed", si_count(static_cast<double>(items)), unit_,
                       si_count(rate), unit_, short_duration(secs));
  }
  std::fprintf(stderr, "\r%s\033[K", line.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::finish() {
  if (!drawn_) return;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace bombus::cli
