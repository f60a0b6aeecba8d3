// Get Document Types / Get Document Type / Get Document Type Version (ETA SDK
// /api/03-get-document-type; list and version paths as R-KANDIL `EInvoiceGovManager.cs` calls
// them; spec/documents-api.md):
//   GET documenttypes                         {"result": [DocumentType]}
//   GET documenttypes/{id}                    DocumentType (id: 1…6, or the name i, c, d, ei, ec, ed)
//   GET documenttypes/{id}/versions/{vid}     DocumentTypeVersion (vid: 1 = 0.9, 2 = 1.0, or the name)
// DocumentType: {id, name, description, activeFrom, activeTo, documentTypeVersions[…],
// workflowParameters[{id, parameter, value, activeFrom, activeTo}]}.
//
// Stand-in decisions: ids are Eisal's (ETA's are not published); the workflow parameters are the
// four windows of DocumentWorkflow with `value` in hours (ETA's parameter names are unknown);
// `jsonSchema`/`xmlSchema` of a version are null (the rules are on docs/document-rules.md).

import EisalCore
import Hummingbird

struct DocumentTypeRoutes {
    let workflow: DocumentWorkflow
    static let activeFrom = "2020-01-01T00:00:00Z"
    static let versions: [(id: Int, name: String, description: String)] = [
        (1, "0.9", "Version 0.9: the 1.0 structure without the signature check"),
        (2, "1.0", "Version 1.0: signed by the issuer (CAdES-BES)"),
    ]

    func register(on group: RouterGroup<EisalRequestContext>) {
        group.get("documenttypes") { _, context -> Response in
            _ = try context.requirePrincipal()
            return try Response.json(.object([("result", .array(InvoiceKind.allCases.map(type)))]))
        }
        group.get("documenttypes/{id}") { _, context -> Response in
            _ = try context.requirePrincipal()
            return try Response.json(type(try Self.kind(context.parameters.require("id"))))
        }
        group.get("documenttypes/{id}/versions/{vid}") { _, context -> Response in
            _ = try context.requirePrincipal()
            let kind = try Self.kind(context.parameters.require("id"))
            let vid = try context.parameters.require("vid")
            guard let version = Self.versions.first(where: { String($0.id) == vid || $0.name == vid }) else {
                throw PlatformError.notFound("Document type version \(vid)", target: "vid")
            }
            var members = Self.version(version)
            members += [("documentTypeId", .number(String(Self.id(kind)))), ("jsonSchema", .null), ("xmlSchema", .null)]
            return try Response.json(.object(members))
        }
    }

    static func id(_ kind: InvoiceKind) -> Int { (InvoiceKind.allCases.firstIndex(of: kind) ?? 0) + 1 }

    static func kind(_ id: String) throws -> InvoiceKind {
        if let n = Int(id), (1 ... InvoiceKind.allCases.count).contains(n) { return InvoiceKind.allCases[n - 1] }
        if let kind = InvoiceKind(rawValue: id.lowercased()) { return kind }
        throw PlatformError.notFound("Document type \(id)", target: "id")
    }

    static func version(_ v: (id: Int, name: String, description: String)) -> [(String, JSONValue)] {
        [("id", .number(String(v.id))), ("name", .string(v.name)), ("description", .string(v.description)), ("versionNumber", .string(v.name)),
         ("status", .string("Published")), ("activeFrom", .string(activeFrom)), ("activeTo", .null)]
    }

    func type(_ kind: InvoiceKind) -> JSONValue {
        .object([
            ("id", .number(String(Self.id(kind)))), ("name", .string(kind.rawValue)), ("description", .string(kind.name)),
            ("activeFrom", .string(Self.activeFrom)), ("activeTo", .null),
            ("documentTypeVersions", .array(Self.versions.map { .object(Self.version($0)) })),
            ("workflowParameters", .array(workflow.parameters.enumerated().map { i, p in
                .object([("id", .number(String(i + 1))), ("parameter", .string(p.name)), ("value", .number(String(p.seconds / 3600))),
                         ("activeFrom", .string(Self.activeFrom)), ("activeTo", .null)])
            })),
        ])
    }
}
