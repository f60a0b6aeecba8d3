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
        .library(name: "EisalPlatform", targets: ["EisalPlatform"]),
        .executable(name: "eisal", targets: ["eisal"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
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
        // The platform: HTTP routes, identity, intake, processing.
        .target(
            name: "EisalPlatform",
            dependencies: [
                "EisalCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The taxpayer-side SDK.
        .target(
            name: "EisalKit",
            dependencies: ["EisalCore"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "eisal",
            dependencies: [
                "EisalCore", "EisalKit", "EisalPlatform",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "EisalCoreTests", dependencies: ["EisalCore"], resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
        .testTarget(
            name: "EisalPlatformTests",
            dependencies: [
                "EisalPlatform", "EisalKit",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "EisalKitTests", dependencies: ["EisalKit"], swiftSettings: swiftSettings),
        // Runs the built `eisal` binary as a user would (the dependency makes `swift test` build it).
        .testTarget(name: "EisalCLITests", dependencies: ["eisal", "EisalCore"], swiftSettings: swiftSettings),
    ],
    swiftLanguageModes: [.v6]
)
