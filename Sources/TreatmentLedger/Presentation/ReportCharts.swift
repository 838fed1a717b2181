import Foundation

/// Inline SVG charts of a course report: the PHQ-9/GAD-7 course and per-session vitals strips.
/// Every text drawn is escaped; nothing is loaded from anywhere.
enum ReportCharts {
  static let width = 760.0
  static let colours: [String: String] = ["phq9": "#1565c0", "gad7": "#2e7d32"]

  /// A line with its text label, for the threshold lines of a chart.
  struct Threshold {
    var value: Double
    var label: String
    var colour: String
  }

  /// PHQ-9 and GAD-7 against the date, with each one's response line (50% of its baseline)
  /// and the remission line (< 5 for both); nil when the course has neither.
  static func outcomeChart(_ outcomes: [String: OutcomeSummary]) -> String? {
    let instruments = ["phq9", "gad7"].filter { !(outcomes[$0]?.series.isEmpty ?? true) }
    guard !instruments.isEmpty else { return nil }
    let points = instruments.flatMap { outcomes[$0]?.series ?? [] }
    let times = points.compactMap { Timestamp.parseMicros($0.occurredAt) }
    let first = Double(times.min() ?? 0)
    let last = Double(times.max() ?? 0)
    let frame = Frame(
      x: 50, y: 16, width: width - 200, height: 220, xMin: first, xMax: max(last, first + 1),
      yMin: 0, yMax: 27)
    var svg = svgOpen(class: "outcome-chart", height: 280, label: "PHQ-9 and GAD-7 over the course")
    svg += frame.grid(yTicks: [0, 5, 10, 15, 20, 25])
    var thresholds = [Threshold(value: 5, label: "remission (< 5)", colour: "#555")]
    for instrument in instruments {
      guard let outcome = outcomes[instrument] else { continue }
      let colour = colours[instrument] ?? "#444"
      let name = ClinicalLabels.instrument(instrument)
      thresholds.append(
        Threshold(
          value: outcome.baseline * 0.5,
          label: "\(name) response (≤ \(EntryText.number(outcome.baseline * 0.5)))", colour: colour)
      )
      let xy = outcome.series.compactMap { point -> (Double, Double)? in
        Timestamp.parseMicros(point.occurredAt).map { (Double($0), point.totalScore) }
      }
      svg += frame.polyline(xy, colour: colour, seriesClass: "series-\(instrument)")
      for point in outcome.series {
        guard let micros = Timestamp.parseMicros(point.occurredAt) else { continue }
        let (px, py) = frame.point(Double(micros), point.totalScore)
        svg +=
          "<circle cx=\"\(f(px))\" cy=\"\(f(py))\" r=\"4\" fill=\"\(colour)\"><title>\(html("\(name) \(EntryText.number(point.totalScore)) on \(EntryText.clinicalTime(point.occurredAt))"))</title></circle>"
      }
    }
    svg += frame.thresholds(thresholds)
    for micros in Set(times).sorted() {
      let (px, _) = frame.point(Double(micros), 0)
      let day =
        points.first { Timestamp.parseMicros($0.occurredAt) == micros }.map {
          String($0.occurredAt.dropFirst(5).prefix(5))
        } ?? ""
      svg +=
        "<text x=\"\(f(px))\" y=\"\(f(frame.bottom + 16))\" text-anchor=\"middle\" class=\"tick\">\(html(day))</text>"
    }
    var legendY = frame.y + 8
    for instrument in instruments {
      svg +=
        "<rect x=\"\(f(frame.right + 14))\" y=\"\(f(legendY - 8))\" width=\"14\" height=\"4\" fill=\"\(colours[instrument] ?? "#444")\"/>"
      svg +=
        "<text x=\"\(f(frame.right + 34))\" y=\"\(f(legendY))\" class=\"legend\">\(html(ClinicalLabels.instrument(instrument)))</text>"
      legendY += 18
    }
    return svg + "</svg>"
  }

  /// Blood pressure and heart rate, and SpO2 beneath, against minutes from the dose, with the
  /// protocol's alert bands shaded and side effects, infusion changes and flags on the time axis.
  static func vitalsStrip(_ row: SessionRow, thresholds: ClinicalThresholds) -> String {
    let minutes =
      row.vitals.compactMap(\.minutesFromDose) + row.events.compactMap(\.minutesFromDose)
    let xMin = min(-15, (minutes.min() ?? 0) - 5)
    let xMax = max(60, (minutes.max() ?? 0) + 5)
    let top = Frame(
      x: 50, y: 12, width: width - 200, height: 170, xMin: xMin, xMax: xMax, yMin: 40, yMax: 200)
    let low = Frame(
      x: 50, y: 206, width: width - 200, height: 60, xMin: xMin, xMax: xMax, yMin: 85, yMax: 100)
    var svg = svgOpen(
      class: "vitals-strip", height: 340,
      label: "Vitals of \(row.sessionId) against minutes from the dose")
    svg += top.grid(yTicks: [40, 80, 120, 160, 200]) + low.grid(yTicks: [85, 90, 95, 100])
    svg += top.band(
      from: thresholds.systolicHighMmHg, to: 200,
      label: "SBP ≥ \(EntryText.number(thresholds.systolicHighMmHg))")
    svg += top.band(
      from: 40, to: thresholds.heartRateLowBpm,
      label: "HR ≤ \(EntryText.number(thresholds.heartRateLowBpm))")
    svg += low.band(
      from: 85, to: thresholds.spo2LowPercent,
      label: "SpO2 ≤ \(EntryText.number(thresholds.spo2LowPercent))")
    svg += top.thresholds(
      [
        Threshold(
          value: thresholds.diastolicHighMmHg,
          label: "DBP \(EntryText.number(thresholds.diastolicHighMmHg))", colour: "#ef6c00"),
        Threshold(
          value: thresholds.systolicLowMmHg,
          label: "SBP \(EntryText.number(thresholds.systolicLowMmHg))", colour: "#c62828"),
        Threshold(
          value: thresholds.heartRateHighBpm,
          label: "HR \(EntryText.number(thresholds.heartRateHighBpm))", colour: "#6a1b9a"),
      ])
    let series: [(String, String, KeyPath<VitalsPoint, Double?>, Frame)] = [
      ("SBP", "#c62828", \.systolicMmHg, top), ("DBP", "#ef6c00", \.diastolicMmHg, top),
      ("HR", "#6a1b9a", \.heartRateBpm, top), ("SpO2", "#1565c0", \.spo2Percent, low),
    ]
    var legendY = top.y + 8
    for (name, colour, path, frame) in series {
      let xy = row.vitals.compactMap { point in
        point.minutesFromDose.flatMap { x in point[keyPath: path].map { (x, $0) } }
      }
      svg += frame.polyline(xy, colour: colour, seriesClass: "series-\(name.lowercased())")
      for point in row.vitals {
        guard let x = point.minutesFromDose, let y = point[keyPath: path] else { continue }
        let (px, py) = frame.point(x, y)
        let flagged = !point.flags.isEmpty
        svg +=
          "<circle cx=\"\(f(px))\" cy=\"\(f(py))\" r=\"\(flagged ? 5 : 3)\" fill=\"\(flagged ? "#fff" : colour)\" stroke=\"\(colour)\" stroke-width=\"\(flagged ? 2.5 : 1)\"><title>\(html("\(name) \(EntryText.number(y)) at \(EntryText.number(x)) min\(flagged ? ", flagged: " + point.flags.joined(separator: ", ") : "")"))</title></circle>"
      }
      svg +=
        "<rect x=\"\(f(top.right + 14))\" y=\"\(f(legendY - 8))\" width=\"14\" height=\"4\" fill=\"\(colour)\"/><text x=\"\(f(top.right + 34))\" y=\"\(f(legendY))\" class=\"legend\">\(name)</text>"
      legendY += 16
    }
    svg += timeAxis(row, top: top, low: low)
    return svg + "</svg>"
  }

  /// The dose at 0, side effects, infusion changes and flagged readings as marks on the axis.
  static func timeAxis(_ row: SessionRow, top: Frame, low: Frame) -> String {
    var svg = ""
    if row.dosedAt != nil {
      let (px, _) = top.point(0, 40)
      svg +=
        "<line x1=\"\(f(px))\" y1=\"\(f(top.y))\" x2=\"\(f(px))\" y2=\"\(f(low.bottom))\" class=\"dose\"/>"
      svg += "<text x=\"\(f(px + 3))\" y=\"\(f(top.y + 10))\" class=\"mark\">dose</text>"
    }
    var lane = 0
    for mark in row.events {
      guard let x = mark.minutesFromDose else { continue }
      let (px, _) = low.point(x, 85)
      let serious = mark.serious == true || mark.severity == "severe" || !mark.flags.isEmpty
      let word: String
      switch mark.type {
      case "SideEffectObserved":
        word =
          "▲ \(ClinicalLabels.code(mark.what ?? "side effect"))\(mark.severity.map { " (\($0))" } ?? "")"
      case "InfusionAdjusted":
        word = "◆ infusion \(ClinicalLabels.code(mark.what ?? "change"))"
      default:
        word = "⚑ " + mark.flags.map(ClinicalLabels.flag).joined(separator: ", ")
      }
      let y = low.bottom + 30 + Double(lane % 3) * 13
      lane += 1
      svg +=
        "<line x1=\"\(f(px))\" y1=\"\(f(top.y))\" x2=\"\(f(px))\" y2=\"\(f(y - 9))\" class=\"event\"/>"
      // Centred on the mark, unless that would cut the label at the chart's left or right edge
      // (about 6 px a character at 10 px bold).
      let half = Double(word.count) * 3
      let (labelX, anchor) =
        px - half < 2 ? (2, "start") : px + half > width - 2 ? (width - 2, "end") : (px, "middle")
      svg +=
        "<text x=\"\(f(labelX))\" y=\"\(f(y))\" class=\"mark\(serious ? " serious" : "")\" text-anchor=\"\(anchor)\">\(html(word))<title>\(html(mark.note ?? ""))</title></text>"
    }
    for tick in stride(from: (top.xMin / 15).rounded(.up) * 15, through: top.xMax, by: 15) {
      let (px, _) = low.point(tick, 85)
      svg +=
        "<text x=\"\(f(px))\" y=\"\(f(low.bottom + 14))\" text-anchor=\"middle\" class=\"tick\">\(EntryText.number(tick))</text>"
    }
    svg +=
      "<text x=\"\(f(low.right))\" y=\"\(f(low.bottom + 14))\" class=\"tick\" text-anchor=\"start\"> min from dose</text>"
    return svg
  }

  static func svgOpen(class name: String, height: Double, label: String) -> String {
    "<svg class=\"chart \(name)\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(f(width)) \(f(height))\" "
      + "width=\"\(f(width))\" height=\"\(f(height))\" role=\"img\" aria-label=\"\(html(label))\">"
  }

  /// A plotting area mapping data values to SVG coordinates.
  struct Frame {
    var x, y, width, height: Double
    var xMin, xMax, yMin, yMax: Double
    var right: Double { x + width }
    var bottom: Double { y + height }

    func point(_ dataX: Double, _ dataY: Double) -> (Double, Double) {
      let clampedY = min(max(dataY, yMin), yMax)
      return (
        x + (dataX - xMin) / (xMax - xMin) * width,
        bottom - (clampedY - yMin) / (yMax - yMin) * height
      )
    }

    func grid(yTicks: [Double]) -> String {
      var svg =
        "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(width))\" height=\"\(f(height))\" class=\"plot\"/>"
      for tick in yTicks {
        let (_, py) = point(xMin, tick)
        svg +=
          "<line x1=\"\(f(x))\" y1=\"\(f(py))\" x2=\"\(f(right))\" y2=\"\(f(py))\" class=\"grid\"/>"
        svg +=
          "<text x=\"\(f(x - 6))\" y=\"\(f(py + 4))\" text-anchor=\"end\" class=\"tick\">\(EntryText.number(tick))</text>"
      }
      return svg
    }

    func band(from lower: Double, to upper: Double, label: String) -> String {
      let (_, top) = point(xMin, upper)
      let (_, bottomY) = point(xMin, lower)
      guard bottomY > top else { return "" }
      return
        "<rect x=\"\(f(x))\" y=\"\(f(top))\" width=\"\(f(width))\" height=\"\(f(bottomY - top))\" class=\"band\"><title>\(html("alert band: " + label))</title></rect>"
        + "<text x=\"\(f(x + 4))\" y=\"\(f(top + 11))\" class=\"bandlabel\">\(html(label))</text>"
    }

    /// Dashed lines at each threshold, labelled at the right; labels of close lines are moved
    /// apart so that none covers another.
    func thresholds(_ lines: [Threshold]) -> String {
      var labelY = -Double.infinity
      return lines.map { line in (line, point(xMin, line.value).1) }.sorted { $0.1 < $1.1 }.map {
        line, py in
        labelY = max(py + 4, labelY + 11)
        return
          "<line x1=\"\(f(x))\" y1=\"\(f(py))\" x2=\"\(f(right))\" y2=\"\(f(py))\" stroke=\"\(line.colour)\" class=\"threshold\"/>"
          + "<text x=\"\(f(right + 4))\" y=\"\(f(labelY))\" class=\"thresholdlabel\" fill=\"\(line.colour)\">\(html(line.label))</text>"
      }.joined()
    }

    func polyline(_ xy: [(Double, Double)], colour: String, seriesClass: String) -> String {
      guard xy.count > 1 else { return "" }
      let points = xy.map {
        let (px, py) = point($0.0, $0.1)
        return "\(f(px)),\(f(py))"
      }.joined(separator: " ")
      return
        "<polyline points=\"\(points)\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" class=\"\(seriesClass)\"/>"
    }
  }

  static func f(_ value: Double) -> String { EntryText.number(value, digits: 1) }
}

/// `text` with `& < > " '` escaped for HTML text and attribute values.
func html(_ text: String) -> String {
  var out = ""
  out.reserveCapacity(text.utf8.count)
  for character in text {
    switch character {
    case "&": out += "&amp;"
    case "<": out += "&lt;"
    case ">": out += "&gt;"
    case "\"": out += "&quot;"
    case "'": out += "&#39;"
    default: out.append(character)
    }
  }
  return out
}
