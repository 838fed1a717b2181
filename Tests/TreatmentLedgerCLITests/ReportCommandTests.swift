import Foundation
import LedgerTestSupport
import Testing

/// Debian's chromium, when installed (`.ci/run` installs it).
let chromium: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first {
  FileManager.default.isExecutableFile(atPath: $0)
}

/// Fills a demo store and returns the command line the demo printed to make a report.
func demoReportCommand(_ cli: LedgerCLI) throws -> (patient: String, arguments: [String]) {
  let demo = try cli.succeed(["demo"])
  let line = try #require(
    demo.stdout.split(separator: "\n").first { $0.contains("treatment-ledger report --patient") },
    "the demo prints no report command")
  let words = line.split(separator: " ").map(String.init)
  let start = try #require(words.firstIndex(of: "report"))
  let patient = try #require(words.firstIndex(of: "--patient").map { words[$0 + 1] })
  let arguments = Array(words[start...].prefix { !$0.hasPrefix("(") })
  return (patient, arguments)
}

@Suite("timeline, summary and report for people") struct ReportCommandTests {
  @Test func timelineTextFitsTheWidthAndWidePrintsOneLinePerEntry() throws {
    let cli = LedgerCLI("timeline-width")
    defer { cli.remove() }
    try cli.succeed(["demo", "--patients", "3"])
    let narrow = try ProcessResult.run(
      LedgerCLI.executable, ["timeline", "--patient", "demo-0002", "--store", cli.store],
      environment: ["COLUMNS": "72"])
    #expect(narrow.status == 0, "\(narrow.stderr)")
    let lines = narrow.stdout.split(separator: "\n")
    #expect(lines.count > 40)
    #expect(lines.allSatisfy { $0.count <= 72 }, "\(lines.filter { $0.count > 72 })")
    #expect(!narrow.stdout.contains("…"))
    #expect(narrow.stdout.contains("mmHg") && narrow.stdout.contains("SpO2"))
    let wide = try cli.succeed(["timeline", "--patient", "demo-0002", "--wide"])
    let json = try cli.succeed(["timeline", "--patient", "demo-0002", "--json"])
    let entries =
      (try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])?["entries"]
    let count = (entries as? [Any])?.count ?? -1
    let entryLines = wide.stdout.split(separator: "\n").filter { $0.first?.isNumber == true }
    #expect(entryLines.count == count)
    #expect(entryLines.allSatisfy { $0.contains(" by ") && $0.contains(", event ") })
  }

  @Test func reportWritesAPrivateSelfContainedPageAndRefusesUnknownCourses() throws {
    let cli = LedgerCLI("report")
    defer { cli.remove() }
    let (patient, arguments) = try demoReportCommand(cli)
    #expect(
      arguments == [
        "report", "--patient", patient, "--store", cli.store, "--out", "\(patient)-report.html",
      ])
    // As printed, run in the test's directory.
    let printed = try ProcessResult.run(
      LedgerCLI.executable, arguments, directory: cli.directory.path)
    #expect(printed.status == 0, "\(printed.stderr)")
    #expect(
      FileManager.default.fileExists(atPath: cli.directory.appending("\(patient)-report.html")))
    let out = cli.directory.appending("report.html")
    let made = try cli.succeed(["report", "--patient", patient, "--out", out])
    #expect(made.stdout.contains("mode 0600"))
    let attributes = try FileManager.default.attributesOfItem(atPath: out)
    #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
    let page = try String(contentsOfFile: out, encoding: .utf8)
    #expect(page.contains("class=\"chart outcome-chart\""))
    #expect(page.contains("class=\"chart vitals-strip\""))
    #expect(!page.lowercased().contains("<script"))
    // Replacing an existing file leaves it 0600 too.
    try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: out)
    try cli.succeed(["report", "--patient", patient, "--out", out])
    let again = try FileManager.default.attributesOfItem(atPath: out)
    #expect((again[.posixPermissions] as? NSNumber)?.intValue == 0o600)

    // A flag of an event that is not a reading (demo-0002's PHQ-9 with item 9 = 1, in its first
    // session) is marked on that session's time axis.
    let flagged = cli.directory.appending("demo-0002.html")
    try cli.succeed(["report", "--patient", "demo-0002", "--out", flagged])
    let strips = try String(contentsOfFile: flagged, encoding: .utf8)
      .components(separatedBy: "class=\"chart vitals-strip\"")
    #expect(strips.count == 4)
    #expect(strips[1].contains("⚑ suicidal thoughts (PHQ-9 item 9)"))

    let course = try cli.run([
      "report", "--patient", patient, "--course", "nope", "--out", out + "2",
    ])
    #expect(course.status == 65)
    #expect(!FileManager.default.fileExists(atPath: out + "2"))
    let unknown = try cli.run(["report", "--patient", "nobody", "--out", out + "3"])
    #expect(unknown.status == 65)
    #expect(unknown.stderr.contains("no course"))
    #expect(try cli.run(["report", "--patient", patient]).status == 64)
  }

  /// The demo's report in a real browser: rendered, charts drawn, no console message.
  @Test(.enabled(if: chromium != nil, "needs Debian's chromium (.ci/run installs it)"))
  func theDemoReportRendersInHeadlessChromium() throws {
    let cli = LedgerCLI("report-browser")
    defer { cli.remove() }
    let (_, arguments) = try demoReportCommand(cli)
    let out = cli.directory.appending("report.html")
    let made = try ProcessResult.run(LedgerCLI.executable, Array(arguments.dropLast()) + [out])
    try #require(made.status == 0, "\(made.stderr)")
    let browser = try #require(chromium)
    let profile = cli.directory.appending("chromium-profile")
    let common = [
      "120", browser, "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(profile)",
      "--hide-scrollbars", "--enable-logging=stderr", "--v=0",
    ]
    let png = cli.directory.appending("report.png")
    let shot = try ProcessResult.run(
      "/usr/bin/timeout",
      common + ["--screenshot=\(png)", "--window-size=1100,2200", "file://\(out)"])
    #expect(shot.status == 0, "\(shot.stderr)")
    #expect(!shot.stderr.contains("CONSOLE"), "console messages: \(shot.stderr)")
    let dom = try ProcessResult.run("/usr/bin/timeout", common + ["--dump-dom", "file://\(out)"])
    #expect(dom.status == 0, "\(dom.stderr)")
    #expect(!dom.stderr.contains("CONSOLE"), "console messages: \(dom.stderr)")
    #expect(dom.stdout.contains("class=\"chart outcome-chart\""))
    #expect(dom.stdout.contains("<polyline"))

    // Count the pixels of each chart's colours in the screenshot (PNG decoded with Python's
    // standard library): the PHQ-9 line, the alert bands and the systolic series.
    let counts = try ProcessResult.run("/usr/bin/env", ["python3", "-c", Self.pixelCounter, png])
    #expect(counts.status == 0, "\(counts.stderr)")
    let figures =
      (try JSONSerialization.jsonObject(with: Data(counts.stdout.utf8)) as? [String: Int]) ?? [:]
    #expect((figures["phq9"] ?? 0) > 100, "\(figures)")
    #expect((figures["band"] ?? 0) > 5_000, "\(figures)")
    #expect((figures["systolic"] ?? 0) > 100, "\(figures)")
    #expect((figures["nonWhite"] ?? 0) > 50_000, "\(figures)")
  }

  /// Decodes an 8-bit RGB or RGBA PNG and counts pixels near the charts' colours.
  static let pixelCounter = #"""
    import json, struct, sys, zlib
    data = open(sys.argv[1], "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    assert depth == 8 and colour in (2, 6), "unsupported PNG"
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    previous = bytearray(stride)
    targets = {"phq9": (0x15, 0x65, 0xc0), "band": (0xf8, 0xd7, 0xda), "systolic": (0xc6, 0x28, 0x28)}
    counts = dict.fromkeys(targets, 0)
    counts["nonWhite"] = 0
    for y in range(height):
        start = y * (stride + 1)
        kind, row = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            a = row[i - bpp] if i >= bpp else 0
            b = previous[i]
            c = previous[i - bpp] if i >= bpp else 0
            if kind == 1: row[i] = (row[i] + a) & 255
            elif kind == 2: row[i] = (row[i] + b) & 255
            elif kind == 3: row[i] = (row[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                row[i] = (row[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        for x in range(0, stride, bpp):
            r, g, bl = row[x], row[x + 1], row[x + 2]
            if r < 240 or g < 240 or bl < 240: counts["nonWhite"] += 1
            for name, (tr, tg, tb) in targets.items():
                if abs(r - tr) < 12 and abs(g - tg) < 12 and abs(bl - tb) < 12: counts[name] += 1
        previous = row
    print(json.dumps(counts))
    """#
}
