// Event consumers: ring buffers (futex wake-ups, plus an eventfd for epoll loops that a small
// watcher thread signals) and perf buffers.
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "runtime/object_impl.h"
#include "vm/maps/perf_array.h"
#include "vm/maps/ringbuf.h"

namespace bombus {

struct RingBufferConsumer::Impl {
  struct Ring {
    vm::RingBuf* rb;
    Callback cb;
  };
  std::vector<Ring> rings;
  int efd = -1;
  std::atomic<bool> stop{false};
  std::thread watcher;
};

RingBufferConsumer::RingBufferConsumer() : impl_(std::make_unique<Impl>()) {
  impl_->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

RingBufferConsumer::~RingBufferConsumer() {
  impl_->stop = true;
  if (impl_->watcher.joinable()) impl_->watcher.join();
  if (impl_->efd >= 0) close(impl_->efd);
}

Status RingBufferConsumer::add(Map& m, Callback cb) {
  if (m.type() != platform::MapType::kRingbuf)
    return make_error(Errc::kInvalid, "map '" + m.name() + "' is not a ringbuf");
  if (impl_->watcher.joinable())
    return make_error(Errc::kBusy, "add rings before asking for epoll_fd()");
  impl_->rings.push_back({static_cast<vm::RingBuf*>(m.raw()), std::move(cb)});
  return {};
}

Result<long> RingBufferConsumer::consume() {
  long total = 0;
  for (auto& r : impl_->rings) {
    int stop = 0;
    total += r.rb->consume([&](void* d, size_t n) {
      stop = r.cb(d, n);
      return stop;
    });
    if (stop) return static_cast<long>(stop);
  }
  return total;
}

Result<long> RingBufferConsumer::poll(int timeout_ms) {
  if (impl_->rings.empty()) return make_error(Errc::kInvalid, "no ring buffers added");
  bool any = false;
  for (auto& r : impl_->rings) any |= !r.rb->empty();
  if (!any) impl_->rings[0].rb->wait(timeout_ms);
  return consume();
}

int RingBufferConsumer::epoll_fd() const {
  if (!impl_->watcher.joinable() && !impl_->rings.empty()) {
    Impl* im = impl_.get();
    im->watcher = std::thread([im] {
      while (!im->stop) {
        bool data = false;
        for (auto& r : im->rings) data |= !r.rb->empty();
        if (data) {
          uint64_t one = 1;
          [[maybe_unused]] auto n = write(im->efd, &one, 8);
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        } else {
          im->rings[0].rb->wait(50);
        }
      }
    });
  }
  return impl_->efd;
}

Result<std::unique_ptr<PerfBufferConsumer>> PerfBufferConsumer::create(Map& m, SampleFn sample,
                                                                       LostFn lost) {
  if (m.type() != platform::MapType::kPerfEventArray)
    return make_error(Errc::kInvalid, "map '" + m.name() + "' is not a perf_event_array");
  std::unique_ptr<PerfBufferConsumer> c(new PerfBufferConsumer());
  c->map_ = m.raw();
  c->sample_ = std::move(sample);
  c->lost_ = std::move(lost);
  auto* pa = static_cast<vm::PerfEventArray*>(c->map_);
  for (uint32_t i = 0; i < m.max_entries(); ++i) pa->open_slot(i, true);
  return c;
}

PerfBufferConsumer::~PerfBufferConsumer() {
  auto* pa = static_cast<vm::PerfEventArray*>(map_);
  for (uint32_t i = 0; i < pa->spec().max_entries; ++i) pa->open_slot(i, false);
}

Result<long> PerfBufferConsumer::poll(int timeout_ms) {
  auto* pa = static_cast<vm::PerfEventArray*>(map_);
  long n = pa->consume(sample_, lost_);
  if (n == 0 && timeout_ms != 0) {
    std::this_thread::sleep_for(
        std::chrono::milliseconds(timeout_ms < 0 ? 10 : std::min(timeout_ms, 10)));
    n = pa->consume(sample_, lost_);
  }
  return n;
}

}  // namespace bombus
