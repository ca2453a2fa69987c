import ArgumentParser
import Foundation
import PostgresStore
import RunStore
import StoreTestSupport
import TestSupport
import XCTest

@testable import SERCommands

#if canImport(Glibc)
    import Glibc
#endif

/// Workers as separate hosts (issue #21's optional check that nothing but the database and the artifact root is
/// shared): each runs in its own network, UTS and mount namespaces. Needs root: skipped without it, a failure under CI
/// (which runs as root).
final class IsolatedHostWorkerTests: XCTestCase {
    var directory: TemporaryDirectory!
    var postgres: PostgresURL!

    override func setUpWithError() throws {
        postgres = try TestPostgres.freshURL()
        directory = TemporaryDirectory("ser-hosts")
    }

    /// `ip`, or nil when this machine has none.
    static let ip = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    /// Runs `path arguments…` and throws its standard error when it fails.
    static func run(_ path: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ValidationError("\(path) \(arguments.joined(separator: " ")): \(message)")
        }
    }

    /// A network namespace joined to this machine by a veth pair only: `10.231.N.1` at this end (where
    /// PostgreSQL listens, tools/postgres-server), `10.231.N.2` inside; its loopback is its own.
    struct IsolatedNetwork {
        let name: String
        let hostAddress: String

        init(ip: String, index: Int) throws {
            let id = Int(getpid()) % 100_000
            let subnet = Int(getpid()) % 120 * 2 + index
            name = "ser-test-\(id)-\(index)"
            hostAddress = "10.231.\(subnet).1"
            let end = "serv\(id)h\(index)"
            try IsolatedHostWorkerTests.run(ip, ["netns", "add", name])
            do {
                for arguments in [
                    ["link", "add", end, "type", "veth", "peer", "name", "eth0", "netns", name],
                    ["addr", "add", "\(hostAddress)/30", "dev", end], ["link", "set", end, "up"],
                    ["-n", name, "addr", "add", "10.231.\(subnet).2/30", "dev", "eth0"],
                    ["-n", name, "link", "set", "eth0", "up"], ["-n", name, "link", "set", "lo", "up"],
                ] {
                    try IsolatedHostWorkerTests.run(ip, arguments)
                }
            } catch {
                remove(ip: ip)
                throw error
            }
        }

        /// Deletes the namespace, and with it both ends of the pair.
        func remove(ip: String) { try? IsolatedHostWorkerTests.run(ip, ["netns", "delete", name]) }
    }

    /// Run inside a network namespace: a new host name, then a mount namespace where the test's folder and /tmp
    /// are empty tmpfs and only `share` is mounted again, at its own path. Arguments: host name, share, test
    /// folder, then the command.
    static let hostScript = """
        set -e
        hostname "$1"
        mount --make-rprivate /
        mount --bind "$2" /mnt
        mount -t tmpfs tmpfs /tmp
        mkdir -p "$3"
        mount -t tmpfs tmpfs "$3"
        mkdir -p "$2"
        mount --move /mnt "$2"
        shift 3
        exec "$@"
        """

    /// Two workers on two such hosts work through one PostgreSQL queue of four tiny runs. Each reaches the
    /// database only over its veth pair (no loopback, no Unix socket), has its own host name, and sees none of
    /// this test's files but the artifact root (mounted at the same path) and a private /tmp. Every run
    /// finishes once, on one of the two hosts, with the weights a worker on this machine computes into a SQLite
    /// store, and `ser export` here reads every run's weights from the artifact root, checked by SHA-256.
    func testWorkersOnTwoIsolatedHostsShareOnlyTheDatabaseAndTheArtifactRoot() throws {
        guard geteuid() == 0, let ip = Self.ip, FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") else {
            let reason = "needs root, ip and unshare to make network namespaces (CI runs as root)"
            if ProcessInfo.processInfo.environment["CI"] == "true" { return XCTFail(reason) }
            throw XCTSkip(reason)
        }
        let spec = try PostgresStoreCommandsTests.writeFourRunSpec(directory.path("queued.yaml"))
        let artifacts = directory.path("shared")
        try FileManager.default.createDirectory(atPath: artifacts, withIntermediateDirectories: true)
        let here = ["--store", "\(postgres!)", "--artifacts", artifacts]
        let ids = try XCTUnwrap(SER.parseAsRoot(["run", spec, "--queue"] + here) as? RunCommand)
            .enqueue(log: { _ in }).map(\.runID)
        XCTAssertEqual(ids, [1, 2, 3, 4])
        let fast = ["--threads", "1", "--heartbeat", "0.5", "--stale-after", "30", "--poll", "0.2", "--idle-exit", "2"]

        let networks = try (0..<2).map { try IsolatedNetwork(ip: ip, index: $0) }
        defer { networks.forEach { $0.remove(ip: ip) } }
        let hosts = ["node-a", "node-b"]
        let workers = try zip(hosts, networks).map { host, network in
            var remote = postgres!
            remote.host = network.hostAddress
            return try WorkerProcessTests.WorkerProcess(
                name: host, arguments: ["--store", "\(remote)", "--artifacts", artifacts] + fast, in: directory,
                launcher: [
                    ip, "netns", "exec", network.name, "/usr/bin/unshare", "--uts", "--mount", "--fork", "--",
                    "/bin/sh", "-c", Self.hostScript, "sh", host, artifacts, directory.url.path,
                ])
        }
        // The reference: one worker on this machine, the same queue in a SQLite store.
        let sqlite = directory.path("reference/ser.sqlite")
        _ = try XCTUnwrap(SER.parseAsRoot(["run", spec, "--queue", "--store", sqlite]) as? RunCommand)
            .enqueue(log: { _ in })
        let reference = try WorkerProcessTests.WorkerProcess(
            name: "reference", arguments: ["--store", sqlite] + fast, in: directory)
        for worker in workers + [reference] {
            worker.wait(seconds: 600)
            XCTAssertEqual(worker.process.terminationStatus, 0, worker.log)
        }
        let finished = try workers.flatMap { try $0.finishedRuns() }
        XCTAssertEqual(finished.sorted(), ids, workers.map(\.log).joined(separator: "\n"))

        let reader = try RunStore.postgres(url: postgres, artifacts: artifacts, readOnly: true)
        let expected = try RunStore(readingPath: sqlite)
        var ranOn: Set<String> = []
        for id in ids {
            let run = try XCTUnwrap(try reader.run(id))
            XCTAssertEqual(run.status, .finished)
            XCTAssertTrue(hosts.contains(run.host), "run \(id) ran on \(run.host)")
            ranOn.insert(run.host)
            let weights = try reader.detail(of: id).artifacts.filter { $0.kind == "weights" }.map(\.sha256)
            XCTAssertEqual(
                weights, try expected.detail(of: id).artifacts.filter { $0.kind == "weights" }.map(\.sha256),
                "run \(id)")
            let out = directory.path("export/\(id).safetensors")
            _ = try XCTUnwrap(SER.parseAsRoot(["export", "\(id)", "-o", out] + here) as? Export).export()
            XCTAssertTrue(FileManager.default.fileExists(atPath: out))
        }
        XCTAssertEqual(ranOn, Set(hosts), "both hosts took runs")
        XCTAssertEqual(try reader.claimableCount(), 0)
    }
}
