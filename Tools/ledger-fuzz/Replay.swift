import LedgerFoundation

#if !FUZZING
  import Foundation
  import TreatmentLedger

  /// Runs the targets over files without libFuzzer: the seed corpus as a smoke test in a normal
  /// build, or a crash file to reproduce it under the debugger.
  enum Replay {
    /// Every target over `corpusRoot/<target>/`. Returns the exit status (0 when all ran).
    static func smoke(corpusRoot: String) -> Int32 {
      if let problem = ExampleFixture.check() {
        FileHandle.standardError.write(Data("ledger-fuzz: \(problem)\n".utf8))
        return 1
      }
      if let problem = Self.staleExamples() {
        FileHandle.standardError.write(Data("ledger-fuzz: \(problem)\n".utf8))
        return 1
      }
      var total = 0
      for target in FuzzTarget.allCases {
        let directory = corpusRoot + "/" + target.rawValue
        guard let files = Self.files(in: [directory]), !files.isEmpty else {
          FileHandle.standardError.write(Data("ledger-fuzz: no seed inputs in \(directory)\n".utf8))
          return 1
        }
        guard let count = Self.replay(target, files: files) else { return 1 }
        print("\(target.rawValue): \(count) seed inputs ran")
        total += count
      }
      print("smoke: \(total) seed inputs ran through \(FuzzTarget.allCases.count) targets")
      return 0
    }

    /// Compares the embedded example stream with `Schemas/examples/` (when run from the
    /// repository's root): nil when every line equals its example file as JSON.
    static func staleExamples(examples: String = "Schemas/examples") -> String? {
      guard FileManager.default.fileExists(atPath: examples) else { return nil }
      let lines = ExampleStream.ndjson.split(separator: "\n", omittingEmptySubsequences: true)
      for line in lines {
        guard let embedded = try? JSONValue.parse(Array(line.utf8)),
          let type = embedded["type"]?.stringValue
        else { return "an embedded example line is not a JSON object with a type" }
        let file = "\(examples)/\(type).v1.example.json"
        guard let bytes = FileManager.default.contents(atPath: file),
          let example = try? JSONValue.parse(bytes), example == embedded
        else {
          return "the embedded \(type) example differs from \(file): refresh "
            + "Tools/ledger-fuzz/ExampleStream.swift (docs/FUZZING.md)"
        }
      }
      return nil
    }

    /// One target over files and directories (not recursive).
    static func run(_ target: FuzzTarget, paths: [String]) -> Int32 {
      guard let files = Self.files(in: paths), let count = Self.replay(target, files: files) else {
        return 1
      }
      print("\(target.rawValue): \(count) inputs ran")
      return 0
    }

    private static func replay(_ target: FuzzTarget, files: [String]) -> Int? {
      var count = 0
      for file in files {
        guard let bytes = FileManager.default.contents(atPath: file) else {
          FileHandle.standardError.write(Data("ledger-fuzz: cannot read \(file)\n".utf8))
          return nil
        }
        target.run(bytes)
        count += 1
      }
      return count
    }

    /// The files named and those directly inside the directories named; nil when a path is
    /// missing.
    private static func files(in paths: [String]) -> [String]? {
      var files: [String] = []
      for path in paths {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
          FileHandle.standardError.write(Data("ledger-fuzz: no such file: \(path)\n".utf8))
          return nil
        }
        if isDirectory.boolValue {
          let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
          files += names.sorted().filter { !$0.hasPrefix(".") }.map { path + "/" + $0 }
        } else {
          files.append(path)
        }
      }
      return files
    }
  }
#endif
