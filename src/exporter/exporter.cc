#include "exporter/exporter.h"

namespace tern::exporter {

std::string_view to_string(ExporterErrc code) {
  switch (code) {
    case ExporterErrc::kInvalidConfig:
      return "invalid configuration";
    case ExporterErrc::kUnknownType:
      return "unknown exporter type";
    case ExporterErrc::kIo:
      return "io error";
    case ExporterErrc::kConnection:
      return "connection error";
    case ExporterErrc::kRejected:
      return "rejected by destination";
    case ExporterErrc::kCompacted:
      return "records compacted";
    case ExporterErrc::kNotFound:
      return "not found";
  }
  return "unknown error";
}

}  // namespace tern::exporter
