import EisalStore
import Testing

/// The `database` setting: a SQLite path, or a PostgreSQL URL with its parameters.
@Suite("Store configuration: the database setting")
struct PostgresSettingsTests {
    @Test func aURLNamesEveryPartAndItsParameters() throws {
        let settings = try PostgresSettings(url: "postgres://eisal:p%40ss%2Fw@db.internal:6543/eisal_prod?sslmode=require&pool=40&pool_wait=2.5", dataDirectory: "/var/lib/eisal")
        #expect(settings.host == "db.internal" && settings.port == 6543 && settings.user == "eisal" && settings.password == "p@ss/w")
        #expect(settings.database == "eisal_prod" && settings.tls == .require && settings.poolSize == 40 && settings.dataDirectory == "/var/lib/eisal")
        #expect(settings.poolWait == .milliseconds(2_500))
        #expect(settings.redactedURL == "postgres://eisal:***@db.internal:6543/eisal_prod")
        let plain = try PostgresSettings(url: "postgresql://postgres@127.0.0.1/eisal")
        #expect(plain.port == 5432 && plain.password == nil && plain.tls == .disable && plain.poolSize == 16 && plain.poolWait == .seconds(10))
    }

    @Test(arguments: [
        ("postgres://db/eisal", "no user"),
        ("postgres://u@db", "no database"),
        ("postgres://u@db/eisal?sslmode=maybe", "sslmode"),
        ("postgres://u@db/eisal?pool=0", "pool"),
        ("postgres://u@db/eisal?pool_wait=0", "pool_wait"),
        ("postgres://u@db/eisal?pool_wait=soon", "pool_wait"),
        ("postgres://u:secret@db/eisal?colour=blue", "unknown URL parameter 'colour'"),
    ])
    func aBadURLIsRefusedSayingWhyWithoutItsPassword(_ url: String, _ reason: String) {
        do {
            _ = try StoreConfiguration.parse(url)
            Issue.record("\(url) was accepted")
        } catch {
            #expect("\(error)".contains(reason), "\(error)")
            #expect(!"\(error)".contains("secret"))
        }
    }

    @Test func aPathIsASQLiteFileAndAURLIsPostgreSQL() throws {
        guard case let .sqlite(path, durability, _) = try StoreConfiguration.parse("./data/eisal.sqlite", durability: .normal) else { Issue.record("not SQLite"); return }
        #expect(path == "./data/eisal.sqlite" && durability == .normal)
        let postgres = try StoreConfiguration.parse("postgres://u@h/d", durability: .normal, dataDirectory: "/srv/eisal", poolSize: 3)
        guard case let .postgres(settings) = postgres else { Issue.record("not PostgreSQL"); return }
        #expect(settings.durability == .normal && settings.poolSize == 3 && postgres.dataDirectory == "/srv/eisal" && postgres.description == "postgres://u@h:5432/d")
    }
}
