// `giflab-perfctl report --output FILE.html`: one self-contained file (inline
// CSS and SVG, no scripts, nothing fetched) with a chart per scenario and
// metric: the history, the baseline band, change points, open regressions
// and the trend, plus a summary table.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <sstream>

#include "client/bus_backend.hpp"
#include "common/store/atomic_file.hpp"
#include "common/base/error.hpp"
#include "common/detect/stats.hpp"
#include "common/base/timeutil.hpp"
#include "common/base/version.hpp"

namespace giflab::cli {
using nlohmann::json;

namespace {
// ", version 1.2 -> 1.3" of a change point or an open regression; "" without versions.
std::string versionsOf(const nlohmann::json& j) {
  const std::string before = j.value("version_before", ""), after = j.value("version_after", "");
  if (before.empty() && after.empty()) return "";
  return ", version " + (before.empty() ? std::string("?") : before) + " -> " + (after.empty() ? std::string("?") : after);
}
}  // namespace

namespace {

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '&': o += "&amp;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string fmt(double v, int decimals = 4) {
  char b[64];
  std::snprintf(b, sizeof b, "%.*f", decimals, v);
  return b;
}

struct Point {
  double t;
  double v;
  std::string stamp;
};

struct Band {
  double mean = 0, low = 0, high = 0;
  bool present = false;
  std::optional<double> budget;  // the scenario's absolute limit, drawn as a line
};

std::string chart(const std::string& title, const std::string& unit, const std::vector<Point>& pts, const Band& band,
                  const json& changePoints, const json* open, const json& trend) {
  constexpr double W = 760, H = 240, L = 70, R = 16, T = 28, B = 36;
  std::ostringstream s;
  s << "<svg xmlns='http://www.w3.org/2000/svg' width='" << W << "' height='" << H << "' viewBox='0 0 " << W << " " << H
    << "' role='img' aria-label='" << esc(title) << "'>";
  s << "<rect x='0' y='0' width='" << W << "' height='" << H << "' fill='#fff'/>";
  s << "<text x='" << L << "' y='18' class='t'>" << esc(title) << "</text>";
  if (pts.empty()) {
    s << "<text x='" << W / 2 << "' y='" << H / 2 << "' text-anchor='middle' class='m'>no history in this window</text></svg>";
    return s.str();
  }
  double tmin = pts.front().t, tmax = pts.back().t, vmin = pts.front().v, vmax = pts.front().v;
  for (const auto& p : pts) tmin = std::min(tmin, p.t), tmax = std::max(tmax, p.t), vmin = std::min(vmin, p.v), vmax = std::max(vmax, p.v);
  if (band.present) vmin = std::min(vmin, band.low), vmax = std::max(vmax, band.high);
  if (band.budget) vmin = std::min(vmin, *band.budget), vmax = std::max(vmax, *band.budget);
  if (vmax == vmin) vmax = vmin + (vmin == 0 ? 1 : std::fabs(vmin) * 0.1);
  const double pad = (vmax - vmin) * 0.08;
  vmin -= pad, vmax += pad;
  if (tmax == tmin) tmax = tmin + 1;
  auto X = [&](double t) { return L + (t - tmin) / (tmax - tmin) * (W - L - R); };
  auto Y = [&](double v) { return T + (vmax - v) / (vmax - vmin) * (H - T - B); };
  // axes and grid, with as many decimals as the range needs to tell ticks apart
  const int decimals = std::clamp(static_cast<int>(std::ceil(-std::log10((vmax - vmin) / 4.0))) + 1, 0, 6);
  for (int i = 0; i <= 4; ++i) {
    const double v = vmin + (vmax - vmin) * i / 4.0;
    s << "<line x1='" << L << "' x2='" << W - R << "' y1='" << Y(v) << "' y2='" << Y(v) << "' class='g'/>";
    s << "<text x='" << L - 6 << "' y='" << Y(v) + 4 << "' text-anchor='end' class='a'>" << fmt(v, decimals) << "</text>";
  }
  s << "<text x='12' y='" << (T + H - B) / 2 << "' class='a' transform='rotate(-90 12 " << (T + H - B) / 2
    << ")' text-anchor='middle'>" << esc(unit) << "</text>";
  s << "<text x='" << L << "' y='" << H - 8 << "' class='a'>" << esc(pts.front().stamp) << "</text>";
  s << "<text x='" << W - R << "' y='" << H - 8 << "' text-anchor='end' class='a'>" << esc(pts.back().stamp) << "</text>";
  if (band.present) {
    s << "<rect x='" << L << "' y='" << Y(band.high) << "' width='" << W - L - R << "' height='"
      << std::max(1.0, Y(band.low) - Y(band.high)) << "' class='band'><title>baseline control limits " << fmt(band.low)
      << " to " << fmt(band.high) << "</title></rect>";
    s << "<line x1='" << L << "' x2='" << W - R << "' y1='" << Y(band.mean) << "' y2='" << Y(band.mean) << "' class='mean'/>";
  }
  if (band.budget)
    s << "<line x1='" << L << "' x2='" << W - R << "' y1='" << Y(*band.budget) << "' y2='" << Y(*band.budget)
      << "' class='budget'><title>budget " << fmt(*band.budget) << " " << esc(unit) << "</title></line><text x='"
      << W - R - 4 << "' y='" << Y(*band.budget) - 4 << "' text-anchor='end' class='budget-label'>budget "
      << fmt(*band.budget) << " " << esc(unit) << "</text>";
  for (const auto& cp : changePoints) {
    const size_t idx = cp.value("index", 0u);
    if (idx >= pts.size()) continue;
    const double x = X(pts[idx].t);
    s << "<line x1='" << x << "' x2='" << x << "' y1='" << T << "' y2='" << H - B << "' class='cp " << cp.value("direction", "")
      << "'><title>change point: " << fmt(cp.value("before", 0.0)) << " to " << fmt(cp.value("after", 0.0))
      << esc(versionsOf(cp)) << "</title></line>";
  }
  std::string poly;
  for (const auto& p : pts) poly += fmt(X(p.t), 1) + "," + fmt(Y(p.v), 1) + " ";
  s << "<polyline points='" << poly << "' class='line'/>";
  if (pts.size() <= 400)
    for (const auto& p : pts) s << "<circle cx='" << fmt(X(p.t), 1) << "' cy='" << fmt(Y(p.v), 1) << "' r='2' class='pt'/>";
  if (trend.is_object() && trend.value("points", 0) >= 3) {
    // The trend covers the stretch since the last change point, as it was measured: a line drawn across a step
    // would show a creep that is not there.
    size_t from = 0;
    for (const auto& cp : changePoints) from = std::max<size_t>(from, cp.value("index", 0u));
    if (from >= pts.size()) from = 0;
    const double slope = trend.value("theil_sen_slope_per_day", 0.0);
    std::vector<double> vs;
    for (size_t i = from; i < pts.size(); ++i) vs.push_back(pts[i].v);
    const double t0 = pts[from].t, mid = stats::median(vs), tmid = (t0 + tmax) / 2;
    const double y0 = mid + slope * (t0 - tmid) / 86400.0, y1 = mid + slope * (tmax - tmid) / 86400.0;
    s << "<line x1='" << X(t0) << "' x2='" << X(tmax) << "' y1='" << Y(y0) << "' y2='" << Y(y1) << "' class='trend'><title>trend since "
      << esc(pts[from].stamp) << ": " << esc(trend.value("direction", "")) << "</title></line>";
  }
  if (open) {
    const auto& p = pts.back();
    s << "<circle cx='" << X(p.t) << "' cy='" << Y(p.v) << "' r='7' class='open'/>";
    s << "<text x='" << W - R << "' y='18' text-anchor='end' class='alert'>open regression: +"
      << fmt(open->value("regression", 0.0) * 100, 1) << " % (" << esc(open->value("severity", "")) << ")"
      << esc(versionsOf(*open)) << "</text>";
  }
  s << "</svg>";
  return s.str();
}

}  // namespace

namespace {

// What the report shows, read from the daemon (or the local engine).
struct ReportData {
  HistoryQuery query;
  json history, baselines, status;
  std::map<std::string, std::vector<Point>> times, memory;
  std::vector<std::string> scenarios;  // configured ones first, then any only the history knows
  std::map<std::string, json> baselineBy;
  json trends, changes, open;
  double confidence = 0.95;

  // The entry of arr for a scenario and metric, or nullptr.
  static const json* find(const json& arr, const std::string& sc, const std::string& metric) {
    for (const auto& x : arr)
      if (x.value("scenario", "") == sc && x.value("metric", "") == metric) return &x;
    return nullptr;
  }
};

ReportData gather(Backend& backend) {
  ReportData d;
  d.query.days = 30;
  d.query.trend = true;
  d.query.changes = true;
  d.query.maxRecords = 100000;
  d.history = backend.history(d.query);
  d.baselines = backend.baselineList();
  d.status = backend.status(false);
  for (const auto& r : d.history.value("records", json::array())) {
    const auto t = parseIso8601(r.value("timestamp", ""));
    if (!t) continue;
    const std::string sc = r.value("scenario", "");
    d.times[sc].push_back({toEpochSeconds(*t), r.value("processing_time", 0.0), r.value("timestamp", "")});
    d.memory[sc].push_back({toEpochSeconds(*t), r.value("memory_usage", 0.0), r.value("timestamp", "")});
  }
  for (const auto& sc : d.status.value("scenarios", json::array())) d.scenarios.push_back(sc.value("name", ""));
  for (const auto& [name, v] : d.times)
    if (std::find(d.scenarios.begin(), d.scenarios.end(), name) == d.scenarios.end()) d.scenarios.push_back(name);
  for (const auto& b : d.baselines.value("baselines", json::array())) d.baselineBy[b.value("scenario_name", "")] = b;
  d.confidence = d.status.value("confidence_level", 0.95);
  d.trends = d.history.value("trends", json::array());
  d.changes = d.history.value("changes", json::array());
  d.open = d.status.value("open_regressions", json::array());
  return d;
}

void writeHead(std::ostream& html, const ReportData& d) {
  html << "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>giflab-perfd performance report</title><style>"
          "body{font-family:system-ui,sans-serif;margin:24px;color:#222;background:#f6f7f9}"
          "h1{font-size:22px}h2{font-size:18px;margin-top:28px}section{background:#fff;border:1px solid #ddd;border-radius:6px;padding:12px;margin:12px 0}"
          "table{border-collapse:collapse;background:#fff}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;font-size:13px}"
          ".t{font-size:14px;font-weight:600}.a{font-size:11px;fill:#555}.m{font-size:13px;fill:#888}"
          ".g{stroke:#eee}.line{fill:none;stroke:#1f6feb;stroke-width:1.5}.pt{fill:#1f6feb}"
          ".band{fill:#2da44e;fill-opacity:.15}.mean{stroke:#2da44e;stroke-dasharray:4 3}"
          ".budget{stroke:#bf8700;stroke-width:2}.budget-label{fill:#bf8700;font-size:11px}"
          ".cp{stroke-width:1.5;stroke-dasharray:5 3}.cp.regression{stroke:#cf222e}.cp.improvement{stroke:#8250df}"
          ".trend{stroke:#bf8700;stroke-width:1.5}.open{fill:none;stroke:#cf222e;stroke-width:2.5}.alert{font-size:12px;fill:#cf222e;font-weight:600}"
          ".regressed{color:#cf222e;font-weight:600}.ok{color:#2da44e}"
          "</style></head><body>\n";
  html << "<h1>giflab-perfd performance report</h1><p>Generated " << esc(nowIso8601()) << " by giflab-perfctl " << kVersion
       << "; history of the last " << d.query.days << " days (" << d.history.value("total_records", 0) << " records). "
       << "Green band: baseline mean ± z·sd at " << fmt(d.confidence * 100, 0)
       << " % confidence; dashed lines: change points (red regression, purple improvement); amber: Theil–Sen trend; "
          "red ring: open regression.</p>\n";
  if (d.status.contains("machine") && d.status["machine"].is_object())
    html << "<p class='regressed'>" << esc(d.status["machine"].value("message", "")) << " (since "
         << esc(d.status["machine"].value("since", "")) << "): times that moved with the machine are not regressions; "
         << "a regression's size is measured relative to the machine.</p>\n";
}

void writeSummaryRow(std::ostream& html, ReportData& d, const std::string& sc) {
  const json* b = d.baselineBy.count(sc) ? &d.baselineBy[sc] : nullptr;
  const auto* tt = ReportData::find(d.trends, sc, kProcessingTime);
  const auto* mt = ReportData::find(d.trends, sc, kMemoryUsage);
  size_t cps = 0;
  for (const char* m : {kProcessingTime, kMemoryUsage})
    if (const auto* c = ReportData::find(d.changes, sc, m)) cps += c->value("change_points", json::array()).size();
  std::string opens;
  for (const auto& o : d.open)
    if (o.value("scenario", "") == sc)
      opens += o.value("metric", "") + " +" + fmt(o.value("regression", 0.0) * 100, 1) + " % (" + o.value("severity", "") + ") ";
  html << "<tr><td>" << esc(sc) << "</td><td>" << (b ? fmt(b->value("mean_processing_time", 0.0)) + " s" : "none")
       << "</td><td>" << (d.times.count(sc) ? fmt(d.times[sc].back().v) + " s" : "-") << "</td><td>"
       << esc(tt ? tt->value("direction", "") : "-") << "</td><td>"
       << (b ? fmt(b->value("mean_memory_usage", 0.0), 1) + " MB" : "none") << "</td><td>"
       << (d.memory.count(sc) ? fmt(d.memory[sc].back().v, 1) + " MB" : "-") << "</td><td>"
       << esc(mt ? mt->value("direction", "") : "-") << "</td><td>" << cps << "</td><td class='"
       << (opens.empty() ? "ok'>none" : "regressed'>" + esc(opens)) << "</td></tr>\n";
}

void writeSection(std::ostream& html, ReportData& d, const std::string& sc) {
  html << "<section id='" << esc(sc) << "'><h2>" << esc(sc) << "</h2>\n";
  const json* b = d.baselineBy.count(sc) ? &d.baselineBy[sc] : nullptr;
  for (const char* m : {kProcessingTime, kMemoryUsage}) {
    const bool isTime = std::string_view(m) == kProcessingTime;
    Band band;
    if (b) {
      band.present = true;
      band.mean = b->value(isTime ? "mean_processing_time" : "mean_memory_usage", 0.0);
      const double sd = b->value(isTime ? "std_processing_time" : "std_memory_usage", 0.0);
      const auto lim = stats::controlLimits(band.mean, sd, d.confidence);
      band.low = lim.low, band.high = lim.high;
    }
    for (const auto& configured : d.status.value("scenarios", json::array()))
      if (configured.value("name", "") == sc && configured.contains("budget") && configured["budget"].contains(m)) {
        const double limit = configured["budget"][m].value("budget", 0.0);
        band.budget = limit;
      }
    const json* cp = ReportData::find(d.changes, sc, m);
    const json* tr = ReportData::find(d.trends, sc, m);
    const json* open = nullptr;
    for (const auto& o : d.open)
      if (o.value("scenario", "") == sc && o.value("metric", "") == m) open = &o;
    html << chart(sc + " — " + (isTime ? "processing time" : "peak memory"), isTime ? "s" : "MB",
                  isTime ? d.times[sc] : d.memory[sc], band, cp ? cp->value("change_points", json::array()) : json::array(),
                  open, tr ? *tr : json())
         << "\n";
    // Which change did it, in words beside the chart.
    if (cp)
      for (const auto& point : cp->value("change_points", json::array()))
        if (!versionsOf(point).empty())
          html << "<p class='cp'>" << esc(m) << " changed at " << esc(point.value("timestamp", "")) << " from "
               << fmt(point.value("before", 0.0)) << " to " << fmt(point.value("after", 0.0)) << esc(versionsOf(point))
               << "</p>\n";
  }
  html << "</section>\n";
}

}  // namespace

int writeReport(Backend& backend, const std::string& output) {
  ReportData d = gather(backend);
  std::ostringstream html;
  writeHead(html, d);
  html << "<table><tr><th>Scenario</th><th>Baseline time</th><th>Latest time</th><th>Time trend</th><th>Baseline memory</th>"
          "<th>Latest memory</th><th>Memory trend</th><th>Change points</th><th>Open regressions</th></tr>\n";
  for (const auto& sc : d.scenarios) writeSummaryRow(html, d, sc);
  html << "</table>\n";
  for (const auto& sc : d.scenarios) writeSection(html, d, sc);
  html << "</body></html>\n";
  writeFileAtomically(output, html.str());
  std::fprintf(stderr, "Wrote %s (%zu scenarios)\n", output.c_str(), d.scenarios.size());
  return 0;
}

}  // namespace giflab::cli
