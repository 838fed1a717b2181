import Foundation

// LedgerFuzz: libFuzzer targets over the import parser, event decoding and validation, and
// canonical JSON (docs/FUZZING.md).
//
// Built with `-DFUZZING -sanitize=fuzzer,address` (Tools/ledger-fuzz/run-fuzz.sh), the process is
// libFuzzer: `LedgerFuzz TARGET [libFuzzer flags] [CORPUS...]`, or LEDGER_FUZZ_TARGET=TARGET.
// Built normally (`swift build`), it replays inputs through the same targets without sanitizers:
// `LedgerFuzz smoke [CORPUS-ROOT]` or `LedgerFuzz TARGET FILE|DIR...`.

let arguments = Array(CommandLine.arguments.dropFirst())

/// The target named by the first argument, else by LEDGER_FUZZ_TARGET; and the other arguments.
func selectTarget(_ arguments: [String]) -> (FuzzTarget, [String])? {
  if let first = arguments.first, let target = FuzzTarget(rawValue: first) {
    return (target, Array(arguments.dropFirst()))
  }
  if let name = ProcessInfo.processInfo.environment["LEDGER_FUZZ_TARGET"],
    let target = FuzzTarget(rawValue: name)
  {
    return (target, arguments)
  }
  return nil
}

func usage() -> String {
  let targets = FuzzTarget.allCases.map { target in
    "  " + target.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0) + target.summary
  }
  #if FUZZING
    let forms = """
      usage: LedgerFuzz TARGET [libFuzzer flags] [CORPUS-DIR|FILE...]
             LEDGER_FUZZ_TARGET=TARGET LedgerFuzz [libFuzzer flags] [CORPUS-DIR|FILE...]
      Run with SWIFT_BACKTRACE=enable=no. Tools/ledger-fuzz/run-fuzz.sh TARGET SECONDS does it all.
      """
  #else
    let forms = """
      usage: LedgerFuzz smoke [CORPUS-ROOT]        every target over CORPUS-ROOT/<target>/
             LedgerFuzz TARGET FILE|DIR...         replay inputs (no sanitizers in this build)
      This build has no libFuzzer; Tools/ledger-fuzz/run-fuzz.sh TARGET SECONDS builds one that has.
      CORPUS-ROOT defaults to Tools/ledger-fuzz/corpus.
      """
  #endif
  return forms + "\ntargets:\n" + targets.joined(separator: "\n") + "\n"
}

func standardError(_ text: String) {
  FileHandle.standardError.write(Data(text.utf8))
}

if arguments.first == "--help" || arguments.first == "-h" || arguments.first == "help" {
  print(usage(), terminator: "")
  exit(0)
}

#if FUZZING
  guard let (target, rest) = selectTarget(arguments) else {
    standardError(usage())
    exit(64)
  }
  exit(FuzzDriver.run(target, arguments: rest))
#else
  if arguments.first == "smoke" {
    let root = arguments.dropFirst().first ?? "Tools/ledger-fuzz/corpus"
    exit(Replay.smoke(corpusRoot: root))
  }
  guard let (target, paths) = selectTarget(arguments), !paths.isEmpty else {
    standardError(usage())
    exit(64)
  }
  exit(Replay.run(target, paths: paths))
#endif
