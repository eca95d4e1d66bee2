// libpcap-backed capture reading and writing. libpcap parses the formats (pcap in both byte
// orders and timestamp precisions, pcapng); around it we add the record accounting libpcap does
// not report: which packet failed and where its record starts in the file, plus our own sanity
// checks of each record header (captured length within the original length, timestamps valid).
#include "net/pcap_io.h"

#include <fmt/format.h>
#include <pcap/pcap.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace bombus::net {

namespace {

pcap_t* P(void* p) {
  return static_cast<pcap_t*>(p);
}

Error record_error(const std::string& name, uint64_t packet_no, int64_t offset, std::string what) {
  Location where;
  where.object = name;
  where.byte_offset = offset;
  return make_error(Errc::kInvalid, fmt::format("packet {}: {}", packet_no, what), where);
}

}  // namespace

PcapReader::~PcapReader() {
  if (pcap_) pcap_close(P(pcap_));
}

Result<std::unique_ptr<PcapReader>> PcapReader::finish_open(std::unique_ptr<PcapReader> r,
                                                            void* pcap) {
  r->pcap_ = pcap;
  if (FILE* f = pcap_file(P(pcap))) {
    const long at = std::ftell(f);
    r->classic_ = at == 24;  // just past a classic file header (a pcapng header is longer)
    r->next_offset_ = at > 0 ? static_cast<uint64_t>(at) : 0;
  }
  r->info_.linktype = pcap_datalink(P(pcap));
  int snap = pcap_snapshot(P(pcap));
  r->info_.snaplen = snap > 0 ? static_cast<uint32_t>(snap) : kDefaultSnaplen;
  return r;
}

Result<std::unique_ptr<PcapReader>> PcapReader::open_file(const std::string& path) {
  char err[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p =
      pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err);
  if (!p) {
    Location where;
    where.object = path;
    Errc code = errno == ENOENT ? Errc::kNotFound : Errc::kInvalid;
    return make_error(code, fmt::format("cannot open capture: {}", err), where);
  }
  std::unique_ptr<PcapReader> r(new PcapReader());
  r->name_ = path;
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  r->size_ = ec ? 0 : static_cast<uint64_t>(size);
  return finish_open(std::move(r), p);
}

Result<std::unique_ptr<PcapReader>> PcapReader::open_memory(std::vector<uint8_t> bytes,
                                                            std::string name) {
  std::unique_ptr<PcapReader> r(new PcapReader());
  r->memory_ = std::move(bytes);
  r->size_ = r->memory_.size();
  r->name_ = std::move(name);
  Location where;
  where.object = r->name_;
  if (r->memory_.empty()) return make_error(Errc::kInvalid, "capture is empty", where);
  FILE* f = fmemopen(r->memory_.data(), r->memory_.size(), "rb");
  if (!f) return make_error(Errc::kIo, fmt::format("fmemopen: {}", std::strerror(errno)), where);
  char err[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, err);
  if (!p) {
    std::fclose(f);
    return make_error(Errc::kInvalid, fmt::format("cannot open capture: {}", err), where);
  }
  return finish_open(std::move(r), p);
}

std::pair<uint64_t, uint64_t> PcapReader::position() const {
  FILE* f = pcap_ ? pcap_file(P(pcap_)) : nullptr;
  const long at = f ? std::ftell(f) : -1;
  return {at > 0 ? static_cast<uint64_t>(at) : 0, size_};
}

Result<std::optional<PcapReader::View>> PcapReader::next() {
  if (failed_) return *failed_;
  // Classic pcap records follow each other: their offsets are counted here, sparing an ftell()
  // (an lseek system call) per packet. pcapng blocks vary, so those ask the stream.
  FILE* f = classic_ ? nullptr : pcap_file(P(pcap_));
  const int64_t offset = classic_ ? static_cast<int64_t>(next_offset_)
                         : f      ? static_cast<int64_t>(std::ftell(f))
                                  : -1;
  const uint64_t packet_no = count_ + 1;
  pcap_pkthdr* hdr = nullptr;
  const u_char* bytes = nullptr;
  int rc = pcap_next_ex(P(pcap_), &hdr, &bytes);
  if (rc == PCAP_ERROR_BREAK) return std::optional<View>();
  if (rc != 1) {
    failed_ = record_error(name_, packet_no, offset, pcap_geterr(P(pcap_)));
    return *failed_;
  }
  if (hdr->caplen > hdr->len) {
    failed_ = record_error(name_, packet_no, offset,
                           fmt::format("corrupt record header: captured length {} exceeds the "
                                       "original length {}",
                                       hdr->caplen, hdr->len));
    return *failed_;
  }
  if (hdr->ts.tv_usec < 0 || hdr->ts.tv_usec >= 1000000000) {  // nanoseconds here
    failed_ = record_error(name_, packet_no, offset,
                           fmt::format("corrupt record header: timestamp fraction {} out of "
                                       "range",
                                       static_cast<long>(hdr->ts.tv_usec)));
    return *failed_;
  }
  ++count_;
  next_offset_ += 16 + hdr->caplen;
  View v;
  v.ts_ns = static_cast<uint64_t>(hdr->ts.tv_sec) * 1000000000ull +
            static_cast<uint64_t>(hdr->ts.tv_usec);
  v.wire_len = hdr->len;
  v.data = std::span<const uint8_t>(bytes, hdr->caplen);
  return std::optional<View>(v);
}

namespace {

Result<Capture> drain(std::unique_ptr<PcapReader> r) {
  Capture c;
  c.info = r->info();
  for (;;) {
    auto v = r->next();
    if (!v.ok()) {
      c.error = v.error();
      break;
    }
    if (!v->has_value()) break;
    const auto& pv = **v;
    c.packets.push_back(Packet{pv.ts_ns, pv.wire_len, {pv.data.begin(), pv.data.end()}});
  }
  return c;
}

}  // namespace

Result<Capture> read_capture(const std::string& path) {
  BOMBUS_ASSIGN_OR_RETURN(auto r, PcapReader::open_file(path));
  return drain(std::move(r));
}

Result<Capture> read_capture_memory(std::vector<uint8_t> bytes, std::string name) {
  BOMBUS_ASSIGN_OR_RETURN(auto r, PcapReader::open_memory(std::move(bytes), std::move(name)));
  return drain(std::move(r));
}

PcapWriter::~PcapWriter() {
  if (dumper_) pcap_dump_close(static_cast<pcap_dumper_t*>(dumper_));
  if (pcap_) pcap_close(P(pcap_));
}

Result<std::unique_ptr<PcapWriter>> PcapWriter::open(const std::string& path,
                                                     const CaptureInfo& info) {
  std::unique_ptr<PcapWriter> w(new PcapWriter());
  w->path_ = path;
  w->pcap_ = pcap_open_dead(info.linktype, static_cast<int>(info.snaplen));
  Location where;
  where.object = path;
  if (!w->pcap_) return make_error(Errc::kNoMem, "pcap_open_dead failed", where);
  w->dumper_ = pcap_dump_open(P(w->pcap_), path.c_str());
  if (!w->dumper_)
    return make_error(Errc::kIo, fmt::format("cannot create capture: {}", pcap_geterr(P(w->pcap_))),
                      where);
  return w;
}

Status PcapWriter::write(uint64_t ts_ns, uint32_t wire_len, std::span<const uint8_t> data) {
  pcap_pkthdr h{};
  h.ts.tv_sec = static_cast<time_t>(ts_ns / 1000000000ull);
  h.ts.tv_usec = static_cast<suseconds_t>((ts_ns % 1000000000ull) / 1000);
  h.caplen = static_cast<uint32_t>(data.size());
  h.len = wire_len < data.size() ? static_cast<uint32_t>(data.size()) : wire_len;
  pcap_dump(static_cast<u_char*>(dumper_), &h, data.data());
  ++count_;
  return {};
}

Status PcapWriter::close() {
  if (!dumper_) return {};
  auto* d = static_cast<pcap_dumper_t*>(dumper_);
  int rc = pcap_dump_flush(d);
  FILE* f = pcap_dump_file(d);
  bool bad = rc != 0 || (f && std::ferror(f));
  pcap_dump_close(d);
  dumper_ = nullptr;
  if (bad) {
    Location where;
    where.object = path_;
    return make_error(Errc::kIo, "writing the capture failed", where);
  }
  return {};
}

Status write_capture(const std::string& path, std::span<const Packet> packets,
                     const CaptureInfo& info) {
  BOMBUS_ASSIGN_OR_RETURN(auto w, PcapWriter::open(path, info));
  for (const Packet& p : packets) BOMBUS_TRY(w->write(p));
  return w->close();
}

Result<std::vector<uint8_t>> capture_to_bytes(std::span<const Packet> packets,
                                              const CaptureInfo& info) {
  char* buf = nullptr;
  size_t len = 0;
  FILE* f = open_memstream(&buf, &len);
  if (!f) return make_error(Errc::kNoMem, "open_memstream failed");
  pcap_t* p = pcap_open_dead(info.linktype, static_cast<int>(info.snaplen));
  pcap_dumper_t* d = p ? pcap_dump_fopen(p, f) : nullptr;
  if (!d) {
    std::fclose(f);
    std::free(buf);
    if (p) pcap_close(p);
    return make_error(Errc::kIo, "pcap_dump_fopen failed");
  }
  for (const Packet& pk : packets) {
    pcap_pkthdr h{};
    h.ts.tv_sec = static_cast<time_t>(pk.ts_ns / 1000000000ull);
    h.ts.tv_usec = static_cast<suseconds_t>((pk.ts_ns % 1000000000ull) / 1000);
    h.caplen = static_cast<uint32_t>(pk.data.size());
    h.len = pk.wire_len < pk.data.size() ? h.caplen : pk.wire_len;
    pcap_dump(reinterpret_cast<u_char*>(d), &h, pk.data.data());
  }
  pcap_dump_close(d);  // closes f, which finalises buf/len
  pcap_close(p);
  std::vector<uint8_t> out(buf, buf + len);
  std::free(buf);
  return out;
}

}  // namespace bombus::net
