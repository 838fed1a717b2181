// swift-tools-version: 6.0
import PackageDescription

// Layers, arrows pointing down only:
//   LedgerFoundation (strict JSON, canonical JSON, RFC 3339 times, their one parse error;
//     Foundation only), used by every layer above it
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
  ],
  targets: [
    .systemLibrary(
      name: "CTreatmentLedgerLMDB",
      pkgConfig: "lmdb",
      providers: [.apt(["liblmdb-dev"])]
    ),
    .target(name: "LedgerFoundation"),
    .target(
      name: "LedgerLMDB",
      dependencies: ["CTreatmentLedgerLMDB"]
    ),
    .target(
      name: "LedgerEventStore",
      dependencies: [
        "LedgerFoundation",
        "LedgerLMDB",
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "Logging", package: "swift-log"),
      ]
    ),
    .target(
      name: "TreatmentRecords",
      dependencies: ["LedgerFoundation", "LedgerEventStore"]
    ),
    .target(
      name: "TreatmentLedger",
      dependencies: [
        "LedgerFoundation",
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
      dependencies: ["LedgerFoundation", "LedgerEventStore", "TreatmentLedger"],
      path: "Tools/ledger-fuzz",
      exclude: ["corpus", "run-fuzz.sh"]
    ),
    .target(
      name: "LedgerTestSupport",
      dependencies: [],
      path: "Tests/LedgerTestSupport"
    ),
    .testTarget(
      name: "LedgerFoundationTests", dependencies: ["LedgerFoundation", "LedgerTestSupport"]),
    .testTarget(name: "LedgerLMDBTests", dependencies: ["LedgerLMDB", "LedgerTestSupport"]),
    .testTarget(
      name: "LedgerEventStoreTests",
      dependencies: [
        "LedgerFoundation", "LedgerEventStore", "LedgerTestSupport",
        .product(name: "Logging", package: "swift-log"),
      ]),
    .testTarget(
      name: "TreatmentRecordsTests",
      dependencies: [
        "LedgerFoundation", "TreatmentRecords", "LedgerEventStore", "LedgerTestSupport",
      ]),
    .testTarget(
      name: "TreatmentLedgerTests", dependencies: ["TreatmentLedger", "LedgerTestSupport"]),
    .testTarget(
      name: "TreatmentLedgerCLITests",
      dependencies: [
        "LedgerTestSupport", "TreatmentLedgerCLI", "TreatmentLedger", "AlertMonitor", "LedgerBench",
      ]
    ),
    .testTarget(
      name: "LedgerReliabilityTests",
      dependencies: ["LedgerTestSupport", "LedgerReliability"]
    ),
  ],
  swiftLanguageModes: [.v6]
)
