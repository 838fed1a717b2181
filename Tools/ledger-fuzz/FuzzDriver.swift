#if FUZZING
  import Foundation

  // libFuzzer's library entry point (compiler-rt's FuzzerInterface.h, not shipped as a Swift
  // module): `int LLVMFuzzerRunDriver(int *argc, char ***argv,
  // int (*UserCb)(const uint8_t *Data, size_t Size))`. Linked in by `-sanitize=fuzzer`.
  @_silgen_name("LLVMFuzzerRunDriver")
  private func llvmFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
  ) -> CInt

  /// libFuzzer's default entry point. `-sanitize=fuzzer` links the whole libFuzzer archive, whose
  /// own `main` (unused: SwiftPM points `main` at this module's entry) refers to this symbol, so
  /// it must exist. It runs the target named by LEDGER_FUZZ_TARGET; ``FuzzDriver`` passes
  /// libFuzzer a callback of its own instead.
  @_cdecl("LLVMFuzzerTestOneInput")
  func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzDriver.environmentTarget?.run(FuzzDriver.bytes(data, size))
    return 0
  }

  /// Hands the process to libFuzzer with one target's callback.
  enum FuzzDriver {
    static let environmentTarget = ProcessInfo.processInfo.environment["LEDGER_FUZZ_TARGET"]
      .flatMap(FuzzTarget.init(rawValue:))

    static func run(_ target: FuzzTarget, arguments: [String]) -> CInt {
      // Build the examples' states before the first input, so a problem with them is reported
      // plainly and not as a crash on whichever input came first.
      if let problem = ExampleFixture.check() {
        FileHandle.standardError.write(Data("ledger-fuzz: \(problem)\n".utf8))
        return 1
      }
      _ = ExampleFixture.shared
      // A C callback captures nothing, so there is one per target.
      let callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
      switch target {
      case .input:
        callback = { data, size in
          FuzzTarget.input.run(FuzzDriver.bytes(data, size))
          return 0
        }
      case .decode:
        callback = { data, size in
          FuzzTarget.decode.run(FuzzDriver.bytes(data, size))
          return 0
        }
      case .canonical:
        callback = { data, size in
          FuzzTarget.canonical.run(FuzzDriver.bytes(data, size))
          return 0
        }
      case .record:
        callback = { data, size in
          FuzzTarget.record.run(FuzzDriver.bytes(data, size))
          return 0
        }
      }
      // libFuzzer runs itself again for -minimize_crash, -fork and -jobs with its own argv, which
      // no longer names the target: the environment carries it to those children.
      setenv("LEDGER_FUZZ_TARGET", target.rawValue, 1)
      // libFuzzer parses argv itself: program name, then the flags and corpus paths without the
      // target name. The strings live until exit.
      var cStrings: [UnsafeMutablePointer<CChar>?] =
        ([CommandLine.arguments.first ?? "LedgerFuzz"] + arguments).map { strdup($0) }
      cStrings.append(nil)
      var argc = CInt(cStrings.count - 1)
      return cStrings.withUnsafeMutableBufferPointer { buffer in
        var argv = buffer.baseAddress
        return llvmFuzzerRunDriver(&argc, &argv, callback)
      }
    }

    static func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Data {
      guard let data, size > 0 else { return Data() }
      return Data(bytes: data, count: size)
    }
  }
#endif
