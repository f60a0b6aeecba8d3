import EisalCore
import EisalStore
import HTTPTypes
import Hummingbird

/// The protected admin API: `X-Admin-Key: <key>` on every call.
///
/// - `GET/POST /admin/taxpayers` `{rin, name, b2c?, branches?, activityCodes?}`
/// - `GET/POST /admin/clients` `{taxpayerRIN, clientID?, representing?}` → credentials (secret shown once)
/// - `GET/POST /admin/pos` `{taxpayerRIN, serial, branchCode?, osVersion?, modelFramework?, activated?}` → credentials;
///   the listing shows each POS's `lastLogin` (what its client sent)
/// - callbacks and deliveries: ``NotificationRoutes``
struct AdminRoutes<Store: RegistryStore> {
    let registry: RegistryService<Store>
    let adminKey: String

    func authorize(_ request: Request) throws { try AdminKey.check(request, adminKey) }

    func body(_ request: Request) async throws -> JSONNode {
        let bytes = try await request.body.collect(upTo: 64 * 1024)
        do { return try JSONParser().parse(Array(buffer: bytes)).root } catch { throw PlatformError.badStructure("The body is not valid JSON: \(error.message)") }
    }

    func register(on router: Router<EisalRequestContext>) {
        let admin = router.group("admin")
        admin.get("taxpayers") { request, _ -> Response in
            try authorize(request)
            return try Response.json(try await registry.store.taxpayers())
        }
        admin.post("taxpayers") { request, _ -> Response in
            try authorize(request)
            let b = try await body(request)
            guard let rin = b["rin"]?.string, let name = b["name"]?.string else { throw PlatformError.badArgument("rin and name are required.", target: "rin") }
            let record = try await registry.addTaxpayer(rin: rin, name: name, b2c: b["b2c"]?.bool ?? true,
                                                         branches: b["branches"]?.elements.compactMap(\.string) ?? ["0"],
                                                         activityCodes: b["activityCodes"]?.elements.compactMap(\.string) ?? ["4620"])
            return try Response.json(record, status: .created)
        }
        admin.get("clients") { request, _ -> Response in
            try authorize(request)
            return try Response.json(.array(try await registry.store.clients().map { .object([("clientID", .string($0.clientID)), ("taxpayerRIN", .string($0.taxpayerRIN)), ("representing", .array($0.representedRINs.map { .string($0) })), ("blocked", .bool($0.blocked))]) }))
        }
        admin.post("clients") { request, _ -> Response in
            try authorize(request)
            let b = try await body(request)
            guard let rin = b["taxpayerRIN"]?.string else { throw PlatformError.badArgument("taxpayerRIN is required.", target: "taxpayerRIN") }
            return try Response.json(try await registry.addClient(taxpayerRIN: rin, clientID: b["clientID"]?.string, representing: b["representing"]?.elements.compactMap(\.string) ?? []), status: .created)
        }
        admin.get("pos") { request, _ -> Response in
            try authorize(request)
            let logins = Dictionary(try await registry.store.posLogins().map { ($0.serial, $0) }, uniquingKeysWith: { a, _ in a })
            return try Response.json(.array(try await registry.store.posDevices().map { pos in
                var members: [(String, JSONValue)] = [("serial", .string(pos.serial)), ("taxpayerRIN", .string(pos.taxpayerRIN)), ("branchCode", .string(pos.branchCode)), ("activated", .bool(pos.activated))]
                // What the POS sent at its last login (the optional headers are recorded, not compared).
                if let login = logins[pos.serial] { members.append(("lastLogin", try JSONValueEncoder().encode(login))) }
                return .object(members)
            }))
        }
        admin.post("pos") { request, _ -> Response in
            try authorize(request)
            let b = try await body(request)
            guard let rin = b["taxpayerRIN"]?.string, let serial = b["serial"]?.string else { throw PlatformError.badArgument("taxpayerRIN and serial are required.", target: "serial") }
            return try Response.json(try await registry.addPOS(taxpayerRIN: rin, serial: serial, branchCode: b["branchCode"]?.string ?? "0", osVersion: b["osVersion"]?.string ?? "os",
                                                               modelFramework: b["modelFramework"]?.string ?? "1", activated: b["activated"]?.bool ?? true), status: .created)
        }
    }
}

/// The admin API's key check.
enum AdminKey {
    /// Throws 401 unless `request` carries `adminKey` in `X-Admin-Key` (compared in constant time).
    static func check(_ request: Request, _ adminKey: String) throws {
        let given = Array((request.headers[HTTPField.Name("X-Admin-Key")!] ?? "").utf8), expected = Array(adminKey.utf8)
        var difference = UInt8(truncatingIfNeeded: given.count ^ expected.count)
        for i in 0 ..< max(given.count, expected.count) { difference |= (i < given.count ? given[i] : 0) ^ (i < expected.count ? expected[i] : 0) }
        guard difference == 0, !expected.isEmpty else {
            throw PlatformError(.unauthorized, code: .unauthorized, message: "The admin API needs the X-Admin-Key printed at start-up.", target: "X-Admin-Key")
        }
    }
}
