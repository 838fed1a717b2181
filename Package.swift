// swift-tools-version: 6.0
import PackageDescription

// Layers, read top to bottom; each depends only on layers above it:
//   LedgerFoundation       strict JSON, canonical JSON, RFC 3339 times and their one parse
//                          error (Foundation only); used by every layer below this line
//   CTreatmentLedgerLMDB   C shim over liblmdb
//   LedgerLMDB             typed environments and transactions; knows no events
//   LedgerEventStore       streams, positions, the hash chain and its follower, projections;
//                          knows no clinic
//   LedgerAudit            audit export and verification (needs LedgerEventStore only; asks the
//                          records what they mean through its AuditSemantics protocol)
//   TreatmentRecords       clinical events, validation, projections (needs LedgerEventStore only)
//   ControlledSubstances   the DEA controlled-substance log of inventory-<site> streams: events,
//                          rules, per-container facts, inspector reports (needs TreatmentRecords,
//                          whose DoseAdministered its withdrawals account for)
//   TreatmentLedger        the facade services embed: Ledger, presentation, and the clinical
//                          AuditSemantics that joins LedgerAudit to TreatmentRecords
//   LedgerDemo             the synthetic clinic; linked by tools and tests only, never by the facade
//   LedgerServer           the HTTP API over the facade (Hummingbird): roles, the `$access` record
//                          of reads, problem documents, server-sent events, metrics; beside the tools
//   LedgerCentral          the chain's central copy in PostgreSQL (postgres-nio): forwarder,
//                          verifier, status; beside the server, below the tools (docs/CENTRAL.md)
//   Tools/                 executables over the facade (and LedgerDemo)
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
    // The HTTP server (LedgerServer): Hummingbird, graceful shutdown, metrics and their scrape.
    .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
    .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
    // The HTTP client of the server's load figures (Tools/ledger-server-bench).
    .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    // Test-only: an independent CSV reader for what `audit export` writes.
    .package(url: "https://github.com/yaslab/CSV.swift.git", from: "2.5.2"),
    // The central copy of a chain's clinics (LedgerCentral): PostgreSQL's wire protocol.
    .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
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
      name: "LedgerAudit",
      dependencies: [
        "LedgerFoundation",
        "LedgerEventStore",
        .product(name: "Crypto", package: "swift-crypto"),
      ]
    ),
    .target(
      name: "TreatmentRecords",
      dependencies: ["LedgerFoundation", "LedgerEventStore"]
    ),
    .target(
      name: "ControlledSubstances",
      dependencies: ["LedgerFoundation", "LedgerEventStore", "TreatmentRecords"]
    ),
    .target(
      name: "TreatmentLedger",
      dependencies: [
        "LedgerFoundation",
        "LedgerEventStore",
        "LedgerAudit",
        "TreatmentRecords",
        "ControlledSubstances",
        .product(name: "Logging", package: "swift-log"),
      ]
    ),
    .target(
      name: "LedgerDemo",
      dependencies: ["TreatmentLedger"]
    ),
    .target(
      name: "LedgerServer",
      dependencies: [
        "LedgerFoundation",
        "TreatmentLedger",
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "HTTPTypes", package: "swift-http-types"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "Metrics", package: "swift-metrics"),
        .product(name: "Prometheus", package: "swift-prometheus"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
      ]
    ),
    .target(
      name: "LedgerCentral",
      dependencies: [
        "LedgerFoundation",
        "LedgerEventStore",
        "LedgerAudit",
        "TreatmentLedger",
        .product(name: "PostgresNIO", package: "postgres-nio"),
        .product(name: "Logging", package: "swift-log"),
      ]
    ),
    // verify_export.py as a resource, so that `audit export` can copy it into every export.
    .target(
      name: "AuditVerifyScript",
      path: "Tools/audit-verify",
      exclude: ["vectors"],
      resources: [.copy("verify_export.py")]
    ),
    .executableTarget(
      name: "TreatmentLedgerCLI",
      dependencies: [
        "TreatmentLedger",
        "LedgerCentral",
        "LedgerDemo",
        "LedgerServer",
        "AuditVerifyScript",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "Metrics", package: "swift-metrics"),
      ],
      path: "Tools/treatment-ledger"
    ),
    // Every Swift snippet of README.md and the DocC articles, compiled and run by the tests.
    .executableTarget(
      name: "EmbeddingExamples",
      dependencies: [
        "TreatmentLedger",
        .product(name: "Logging", package: "swift-log"),
      ],
      path: "Tools/embedding-examples"
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
        "LedgerDemo",
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
        "LedgerDemo",
        "LedgerCentral",
        "CTreatmentLedgerLMDB",
        "CLedgerBenchSQLite",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "Tools/ledger-bench"
    ),
    // The HTTP API's load figures against the in-process rate (docs/SERVER.md).
    .executableTarget(
      name: "LedgerServerBench",
      dependencies: [
        "LedgerServer",
        "TreatmentLedger",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
      ],
      path: "Tools/ledger-server-bench"
    ),
    .executableTarget(
      name: "LedgerFuzz",
      dependencies: ["LedgerFoundation", "LedgerEventStore", "TreatmentLedger"],
      path: "Tools/ledger-fuzz",
      exclude: ["corpus", "run-fuzz.sh"]
    ),
    .target(
      name: "LedgerTestSupport",
      dependencies: [.product(name: "Logging", package: "swift-log")],
      path: "Tests/LedgerTestSupport"
    ),
    // The schema examples as one patient's record, for the test targets that need a real one.
    .target(
      name: "ClinicalTestSupport",
      dependencies: ["LedgerEventStore", "LedgerFoundation", "LedgerTestSupport"],
      path: "Tests/ClinicalTestSupport"
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
      name: "LedgerFoundationTests", dependencies: ["LedgerFoundation", "LedgerTestSupport"]),
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
      name: "ControlledSubstancesTests",
      dependencies: [
        "ControlledSubstances", "TreatmentLedger", "LedgerTestSupport",
        .product(name: "CSV", package: "CSV.swift"),
      ]),
    .testTarget(
      name: "LedgerAuditTests",
      dependencies: [
        "LedgerAudit", "TreatmentLedger", "LedgerTestSupport", "ClinicalTestSupport",
        .product(name: "CSV", package: "CSV.swift"),
      ],
      // An export written by the previous format (its CSV under the first rendering rules).
      exclude: ["Fixtures"]),
    .testTarget(
      name: "TreatmentLedgerTests",
      dependencies: [
        "TreatmentLedger", "LedgerTestSupport", "ClinicalTestSupport", "LedgerDemo",
      ]),
    .testTarget(
      name: "LedgerDemoTests", dependencies: ["LedgerDemo", "TreatmentLedger", "LedgerTestSupport"]),
    .testTarget(
      name: "TreatmentLedgerCLITests",
      dependencies: [
        "LedgerTestSupport", "TreatmentLedgerCLI", "TreatmentLedger", "AlertMonitor", "LedgerBench",
        "EmbeddingExamples", "LedgerServerBench",
        .product(name: "CSV", package: "CSV.swift"),
      ]
    ),
    .testTarget(
      name: "LedgerServerTests",
      dependencies: [
        "LedgerServer", "TreatmentLedger", "LedgerTestSupport", "ClinicalTestSupport",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "HummingbirdTesting", package: "hummingbird"),
        .product(name: "HTTPTypes", package: "swift-http-types"),
      ]
    ),
    .testTarget(
      name: "LedgerCentralTests",
      dependencies: [
        "LedgerCentral", "LedgerEventStore", "LedgerFoundation", "LedgerTestSupport",
        "LedgerAudit", "TreatmentLedger", "LedgerDemo",
        .product(name: "PostgresNIO", package: "postgres-nio"),
        .product(name: "Logging", package: "swift-log"),
      ]
    ),
    .testTarget(
      name: "LedgerReliabilityTests",
      dependencies: ["LedgerTestSupport", "LedgerReliability"]
    ),
  ],
  swiftLanguageModes: [.v6]
)
