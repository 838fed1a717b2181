import Foundation
import LedgerTestSupport
import Testing

// What the input commands do at the edges: an overlong line, unknown field names made to attack a
// terminal, and the mode of the file refused lines are written to.

@Suite struct InputLimitsTests {
  static let limit = 1 << 20

  @Test func aLineLongerThanTheEventLimitIsRefusedNamingItsLine() throws {
    let cli = LedgerCLI("long-line")
    defer { cli.remove() }
    try cli.succeed(["init"])
    let good = EventLine.generate(count: 2, streams: 1)
    // 20 MB without a newline after two valid lines.
    let path = cli.directory.appending("long.ndjson")
    var bytes = Data((good.joined(separator: "\n") + "\n").utf8)
    bytes.append(Data(repeating: UInt8(ascii: "x"), count: 20_000_000))
    try bytes.write(to: URL(fileURLWithPath: path))
    let expected = "line 3: is longer than \(Self.limit) bytes"
    for command in [["import", path], ["append", "--stream", "cli-import-0", path]] {
      let result = try cli.run(command)
      #expect(result.status == 65, "\(command): \(result.stderr)")
      #expect(result.stderr.contains(expected), "\(command): \(result.stderr)")
      #expect(result.stderr.count < 400, "\(command)")
    }
    let validate = try cli.run(["validate", path])
    #expect(validate.status == 65 && validate.stderr.contains(expected), "\(validate.stderr)")
    #expect(try cli.stats().events == 0)

    // A line of exactly the limit is read (and refused for what it holds, not for its size),
    // with or without a carriage return.
    for ending in ["\n", "\r\n"] {
      let exact = cli.directory.appending("exact.ndjson")
      try Data((String(repeating: " ", count: Self.limit - 2) + "{}" + ending).utf8).write(
        to: URL(fileURLWithPath: exact))
      let result = try cli.run(["import", exact])
      #expect(result.status == 65 && result.stderr.contains("line 1: field 'eventId' is missing"))
    }
  }

  /// The command must stop reading once the line passes the limit: standard input is a pipe
  /// that is fed just past the limit and never closed, so a reader that wanted the end of the
  /// line (or of the input) would wait forever.
  @Test func aLongLineOnAPipeIsRefusedWithoutWaitingForTheRest() throws {
    let cli = LedgerCLI("long-pipe")
    defer { cli.remove() }
    signal(SIGPIPE, SIG_IGN)  // a refused write must come back as EPIPE, not end the test run
    let errors = cli.directory.appending("err")
    _ = FileManager.default.createFile(atPath: errors, contents: nil)
    let input = Pipe()
    let process = Process()
    process.executableURL = URL(fileURLWithPath: LedgerCLI.executable)
    process.arguments = ["validate", "-", "--store", cli.store]
    process.standardInput = input
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle(forWritingAtPath: errors)
    try process.run()
    let fed =
      Array(EventLine.generate(count: 1, streams: 1)[0].utf8) + [0x0A]
      + [UInt8](repeating: UInt8(ascii: "y"), count: Self.limit + 2)
    let written = fed.withUnsafeBytes { bytes in
      var offset = 0
      while offset < bytes.count {
        let count = write(
          input.fileHandleForWriting.fileDescriptor, bytes.baseAddress?.advanced(by: offset),
          bytes.count - offset)
        if count <= 0 { break }
        offset += count
      }
      return offset
    }
    #expect(written == fed.count)
    let deadline = Date().addingTimeInterval(60)
    while process.isRunning && Date() < deadline { usleep(20_000) }
    let stopped = !process.isRunning
    if !stopped { process.terminate() }
    process.waitUntilExit()
    try input.fileHandleForWriting.close()
    #expect(stopped, "the command kept waiting for the rest of an overlong line")
    #expect(process.terminationStatus == 65)
    let message = try String(contentsOfFile: errors, encoding: .utf8)
    #expect(message.contains("line 2: is longer than \(Self.limit) bytes"), "\(message)")
  }

  @Test func unknownFieldNamesAreEchoedEscapedAndShortened() throws {
    let cli = LedgerCLI("echo-names")
    defer { cli.remove() }
    try cli.succeed(["init"])
    let id = EventLine.id(9, 1)
    let terminalAttack = #"\u001b]0;owned\u0007\u001b[2J"#
    let huge = String(repeating: "k", count: 200_000)
    let lines = [
      EventLine.make(id: id, stream: "cli-a", extra: #""\#(terminalAttack)":1,"#),
      EventLine.make(id: id, stream: "cli-a", extra: #""\#(huge)":1,"#),
      EventLine.make(
        id: id, stream: "patient-p1", type: "PatientRegistered",
        data: #"{"patientId":"p1","birthYear":1980,"sexAtBirth":"female","\#(terminalAttack)":1}"#),
      EventLine.make(
        id: id, stream: "patient-p1", type: "PatientRegistered",
        data: #"{"patientId":"p1","birthYear":1980,"sexAtBirth":"female","\#(huge)":1}"#),
    ]
    for (index, line) in lines.enumerated() {
      let file = try cli.write("line-\(index).ndjson", [line])
      let result = try cli.run(["import", file])
      #expect(result.status == 65, "\(index): \(result.stderr.prefix(200))")
      let controls = result.stderr.unicodeScalars.filter { $0.value < 0x20 && $0 != "\n" }
      #expect(controls.isEmpty, "\(index): control characters reached the terminal")
      #expect(result.stderr.count < 600, "\(index): \(result.stderr.count) characters")
      #expect(result.stderr.contains(#"\u001b"#) || result.stderr.contains("kkkk…"), "\(index)")
    }
  }

  @Test func theRejectedFileIsReadableByItsOwnerOnly() throws {
    let cli = LedgerCLI("rejected-mode")
    defer { cli.remove() }
    try cli.succeed(["init"])
    let lines = [
      EventLine.make(
        id: EventLine.id(8, 1), stream: "patient-p2", type: "PatientRegistered",
        data: #"{"patientId":"p2","birthYear":1850,"sexAtBirth":"female"}"#)
    ]
    let input = try cli.write("refused.ndjson", lines)
    let rejected = cli.directory.appending("rejected.ndjson")
    // Once new, once over a file that another tool left world-readable.
    for existing in [false, true] {
      if existing {
        try Data("old\n".utf8).write(to: URL(fileURLWithPath: rejected))
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: rejected)
      }
      try cli.succeed(["import", "--skip-invalid", "--rejected-file", rejected, input])
      let attributes = try FileManager.default.attributesOfItem(atPath: rejected)
      #expect(
        (attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600, "existing: \(existing)")
      #expect(try String(contentsOfFile: rejected, encoding: .utf8) == lines[0] + "\n")
    }
    // A symbolic link planted at the path is not followed.
    let target = cli.directory.appending("elsewhere")
    try FileManager.default.removeItem(atPath: rejected)
    try FileManager.default.createSymbolicLink(atPath: rejected, withDestinationPath: target)
    let result = try cli.run(["import", "--skip-invalid", "--rejected-file", rejected, input])
    #expect(result.status == 1 && result.stderr.contains("cannot write"), "\(result.stderr)")
    #expect(!FileManager.default.fileExists(atPath: target))
  }
}
