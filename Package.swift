// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "eisal",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "EisalCore", targets: ["EisalCore"]),
        .library(name: "EisalKit", targets: ["EisalKit"]),
        .library(name: "EisalKitReceiver", targets: ["EisalKitReceiver"]),
        .library(name: "EisalPlatform", targets: ["EisalPlatform"]),
        .executable(name: "eisal", targets: ["eisal"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.7.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        // Pure contract logic: JSON token tree, canonical serialization, UUID, models,
        // code tables, validation. Depends on swift-crypto only.
        .target(
            name: "EisalCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            resources: [.copy("Resources/CodeTables")],
            swiftSettings: swiftSettings
        ),
        // CAdES-BES signing and verification of document signatures, on EisalCore and the public APIs of
        // swift-asn1, swift-certificates and swift-crypto (swift-certificates' own CMS is SPI).
        .target(
            name: "EisalCAdES",
            dependencies: [
                "EisalCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "X509", package: "swift-certificates"),
            ],
            swiftSettings: swiftSettings
        ),
        // Storage protocols shaped by the platform's use cases, and their records.
        .target(
            name: "EisalStore",
            dependencies: ["EisalCore"],
            swiftSettings: swiftSettings
        ),
        // The embedded default backend: GRDB on a SQLite file (WAL).
        .target(
            name: "EisalStoreSQLite",
            dependencies: ["EisalStore", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        // The shared backend: PostgresNIO on a PostgreSQL server, for several platform nodes.
        .target(
            name: "EisalStorePostgres",
            dependencies: [
                "EisalStore", "EisalCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The platform: HTTP routes, identity, intake, processing, query.
        .target(
            name: "EisalPlatform",
            dependencies: [
                "EisalCore", "EisalStore", "EisalStoreSQLite", "EisalStorePostgres", "EisalCAdES",
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
            ],
            swiftSettings: swiftSettings
        ),
        // The taxpayer-side SDK.
        .target(
            name: "EisalKit",
            dependencies: ["EisalCore", "EisalCAdES", .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
                           .product(name: "X509", package: "swift-certificates"), .product(name: "SwiftASN1", package: "swift-asn1")],
            swiftSettings: swiftSettings
        ),
        // The SDK's callback receiver (the ERP side of notifications): Hummingbird routes and a
        // SQLite inbox. Apart from EisalKit so a POS app that only submits needs no server stack.
        .target(
            name: "EisalKitReceiver",
            dependencies: [
                "EisalCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "eisal",
            dependencies: [
                "EisalCore", "EisalCAdES", "EisalKit", "EisalKitReceiver", "EisalPlatform", "EisalStore", "EisalStoreSQLite", "EisalStorePostgres",
                .product(name: "GRDB", package: "GRDB.swift"), .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // What the test targets share: a self-removing temporary directory, one seeded generator.
        .target(name: "EisalTestSupport", dependencies: [.product(name: "GRDB", package: "GRDB.swift"), .product(name: "PostgresNIO", package: "postgres-nio"),
                                                  .product(name: "Logging", package: "swift-log"), .product(name: "NIOPosix", package: "swift-nio")], path: "Tests/EisalTestSupport", swiftSettings: swiftSettings),
        // A real callback receiver (EisalKitReceiver on loopback) that can fail on demand.
        .target(
            name: "EisalReceiverTestSupport",
            dependencies: ["EisalKitReceiver", "EisalCore", .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"), .product(name: "Logging", package: "swift-log")],
            path: "Tests/EisalReceiverTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "EisalCAdESTests", dependencies: ["EisalCAdES", "EisalCore", "EisalTestSupport", .product(name: "X509", package: "swift-certificates"),
                                                       .product(name: "SwiftASN1", package: "swift-asn1"), .product(name: "Crypto", package: "swift-crypto")], resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
        .testTarget(name: "EisalCoreTests", dependencies: ["EisalCore", "EisalTestSupport"], resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
        // The storage conformance suite: every store protocol method's contract, on every backend.
        .testTarget(
            name: "EisalStoreTests",
            dependencies: ["EisalStore", "EisalStoreSQLite", "EisalStorePostgres", "EisalCore", "EisalTestSupport", .product(name: "GRDB", package: "GRDB.swift"),
                           .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EisalPlatformTests",
            dependencies: [
                "EisalPlatform", "EisalKit", "EisalKitReceiver", "EisalStoreSQLite", "EisalTestSupport", "EisalReceiverTestSupport", "EisalCAdES",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EisalKitTests",
            dependencies: ["EisalKit", "EisalKitReceiver", "EisalTestSupport", .product(name: "HummingbirdTesting", package: "hummingbird")],
            swiftSettings: swiftSettings
        ),
        // Runs the built `eisal` binary as a user would (the dependency makes `swift test` build it).
        .testTarget(
            name: "EisalCLITests",
            dependencies: ["eisal", "EisalCore", "EisalKit", "EisalStore", "EisalStoreSQLite", "EisalStorePostgres", "EisalTestSupport", "EisalReceiverTestSupport",
                           .product(name: "AsyncHTTPClient", package: "async-http-client")],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
