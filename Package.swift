// swift-tools-version: 6.0
import PackageDescription

// Layers, arrows pointing down only:
//   CTreatmentLedgerLMDB (C shim) → LedgerLMDB (knows no events)
//   → LedgerEventStore (streams, positions, concurrency, integrity; knows no clinic)
//   → TreatmentRecords (clinical events, validation, projections)
//   → TreatmentLedger (the facade services embed) → Tools/
let package = Package(
  name: "TreatmentLedger",
  platforms: [.macOS(.v15)],
  products: [
    .library(name: "TreatmentLedger", targets: ["TreatmentLedger"]),
    .executable(name: "treatment-ledger", targets: ["TreatmentLedgerCLI"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
    .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    .package(url: "https://github.com/swiftlang/swift-docc-plugin.git", from: "1.5.0"),
    // Test-only: an independent CSV reader for what `audit export` writes.
    .package(url: "https://github.com/yaslab/CSV.swift.git", from: "2.5.2"),
  ],
  targets: [
    .systemLibrary(
      name: "CTreatmentLedgerLMDB",
      pkgConfig: "lmdb",
      providers: [.apt(["liblmdb-dev"])]
    ),
    .target(
      name: "LedgerLMDB",
      dependencies: ["CTreatmentLedgerLMDB"]
    ),
    .target(
      name: "LedgerEventStore",
      dependencies: [
        "LedgerLMDB",
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "Logging", package: "swift-log"),
      ]
    ),
    .target(
      name: "TreatmentRecords",
      dependencies: ["LedgerEventStore"]
    ),
    .target(
      name: "TreatmentLedger",
      dependencies: [
        "LedgerEventStore",
        "TreatmentRecords",
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "Logging", package: "swift-log"),
      ]
    ),
    // verify_export.py as a resource, so that `audit export` can copy it into every export.
    .target(
      name: "AuditVerifyScript",
      path: "Tools/audit-verify",
      resources: [.copy("verify_export.py")]
    ),
    .executableTarget(
      name: "TreatmentLedgerCLI",
      dependencies: [
        "TreatmentLedger",
        "AuditVerifyScript",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
      ],
      path: "Tools/treatment-ledger"
    ),
    .executableTarget(
      name: "AlertMonitor",
      dependencies: [
        "TreatmentLedger",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
      ],
      path: "Tools/alert-monitor"
    ),
    .executableTarget(
      name: "LedgerReliability",
      dependencies: [
        "LedgerLMDB",
        "TreatmentLedger",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "Logging", package: "swift-log"),
      ],
      path: "Tools/ledger-reliability"
    ),
    .systemLibrary(
      name: "CLedgerBenchSQLite",
      path: "Tools/ledger-bench-sqlite",
      pkgConfig: "sqlite3",
      providers: [.apt(["libsqlite3-dev"])]
    ),
    .executableTarget(
      name: "LedgerBench",
      dependencies: [
        "TreatmentLedger",
        "CTreatmentLedgerLMDB",
        "CLedgerBenchSQLite",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "Tools/ledger-bench"
    ),
    .executableTarget(
      name: "LedgerFuzz",
      dependencies: ["LedgerEventStore", "TreatmentLedger"],
      path: "Tools/ledger-fuzz",
      exclude: ["corpus", "run-fuzz.sh"]
    ),
    .target(
      name: "LedgerTestSupport",
      dependencies: [],
      path: "Tests/LedgerTestSupport"
    ),
    // A second process for LedgerLMDBTests: grows the map, or holds a reader until killed.
    .executableTarget(
      name: "LedgerLMDBTestChild",
      dependencies: ["LedgerLMDB"],
      path: "Tests/LedgerLMDBTestChild"
    ),
    .testTarget(
      name: "LedgerLMDBTests",
      dependencies: ["LedgerLMDB", "LedgerTestSupport", "LedgerLMDBTestChild"]),
    .testTarget(
      name: "LedgerEventStoreTests",
      dependencies: [
        "LedgerEventStore", "LedgerTestSupport", .product(name: "Logging", package: "swift-log"),
      ]),
    .testTarget(
      name: "TreatmentRecordsTests",
      dependencies: ["TreatmentRecords", "LedgerEventStore", "LedgerTestSupport"]),
    .testTarget(
      name: "TreatmentLedgerTests",
      dependencies: [
        "TreatmentLedger", "LedgerTestSupport", .product(name: "CSV", package: "CSV.swift"),
      ]),
    .testTarget(
      name: "TreatmentLedgerCLITests",
      dependencies: [
        "LedgerTestSupport", "TreatmentLedgerCLI", "TreatmentLedger", "AlertMonitor", "LedgerBench",
        .product(name: "CSV", package: "CSV.swift"),
      ]
    ),
    .testTarget(
      name: "LedgerReliabilityTests",
      dependencies: ["LedgerTestSupport", "LedgerReliability"]
    ),
  ],
  swiftLanguageModes: [.v6]
)
