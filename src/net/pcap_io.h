// Packet captures: reading pcap and pcapng (files or bytes in memory) through libpcap, writing
// pcap with pcap_dump. A damaged capture (truncated record, corrupt record header) stops the
// reader with an error naming the 1-based packet number and the file offset of its record;
// everything before it has been delivered.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"

namespace bombus::net {

inline constexpr int kLinkEthernet = 1;  // DLT_EN10MB
inline constexpr uint32_t kDefaultSnaplen = 262144;

// One captured frame. data.size() is the captured length; wire_len the length on the wire.
struct Packet {
  uint64_t ts_ns = 0;
  uint32_t wire_len = 0;
  std::vector<uint8_t> data;
};

struct CaptureInfo {
  int linktype = kLinkEthernet;
  uint32_t snaplen = kDefaultSnaplen;
};

// A whole capture read into memory. `error` is set when reading stopped early; `packets` then
// holds every packet before the damaged one.
struct Capture {
  CaptureInfo info;
  std::vector<Packet> packets;
  std::optional<Error> error;
};

class PcapReader {
 public:
  static Result<std::unique_ptr<PcapReader>> open_file(const std::string& path);
  // Reads pcap/pcapng bytes held in memory (the reader keeps its own copy).
  static Result<std::unique_ptr<PcapReader>> open_memory(std::vector<uint8_t> bytes,
                                                         std::string name = "<memory>");
  ~PcapReader();
  PcapReader(const PcapReader&) = delete;
  PcapReader& operator=(const PcapReader&) = delete;

  const CaptureInfo& info() const { return info_; }
  const std::string& name() const { return name_; }
  // The next packet, std::nullopt at the clean end of the capture, or an error naming the
  // packet number and file offset. After an error every later call returns the same error.
  // The returned span is valid until the next call.
  struct View {
    uint64_t ts_ns;
    uint32_t wire_len;
    std::span<const uint8_t> data;
  };
  Result<std::optional<View>> next();
  uint64_t packets_read() const { return count_; }
  // {bytes consumed, capture size} (for progress reports); size 0 when unknown.
  std::pair<uint64_t, uint64_t> position() const;

 private:
  PcapReader() = default;
  static Result<std::unique_ptr<PcapReader>> finish_open(std::unique_ptr<PcapReader> r, void* pcap);
  void* pcap_ = nullptr;  // pcap_t*
  std::vector<uint8_t> memory_;
  std::string name_;
  CaptureInfo info_;
  uint64_t count_ = 0;
  uint64_t size_ = 0;
  bool classic_ = false;      // classic pcap: record offsets are counted, not asked for
  uint64_t next_offset_ = 0;  // classic: file offset of the next record
  std::optional<Error> failed_;
};

Result<Capture> read_capture(const std::string& path);
Result<Capture> read_capture_memory(std::vector<uint8_t> bytes, std::string name = "<memory>");

class PcapWriter {
 public:
  // Creates (truncates) a pcap file with microsecond timestamps.
  static Result<std::unique_ptr<PcapWriter>> open(const std::string& path,
                                                  const CaptureInfo& info = {});
  ~PcapWriter();
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;

  Status write(uint64_t ts_ns, uint32_t wire_len, std::span<const uint8_t> data);
  Status write(const Packet& p) { return write(p.ts_ns, p.wire_len, p.data); }
  Status close();  // flushes; errors of the final write surface here
  uint64_t packets_written() const { return count_; }

 private:
  PcapWriter() = default;
  void* pcap_ = nullptr;    // pcap_t* (dead handle)
  void* dumper_ = nullptr;  // pcap_dumper_t*
  std::string path_;
  uint64_t count_ = 0;
};

Status write_capture(const std::string& path, std::span<const Packet> packets,
                     const CaptureInfo& info = {});
// The same capture as pcap file bytes (for in-memory tests and sources).
Result<std::vector<uint8_t>> capture_to_bytes(std::span<const Packet> packets,
                                              const CaptureInfo& info = {});

}  // namespace bombus::net
