import Foundation
import NeuralNet

/// How commands that run the network set up the engine's threads.
enum EngineSetup {
    /// One lane per core, each with single-threaded OpenBLAS: batches split their samples over the lanes
    /// (training, evaluation), a single sample splits each product (live windows). The fastest setting
    /// `ser bench train` and `ser bench listen` measure; results are reproducible for a given core count.
    static func oneLanePerCore<T>(_ body: () throws -> T) rethrows -> T {
        try Engine.with(threads: ProcessInfo.processInfo.activeProcessorCount, body)
    }

    /// `lanes` lanes (one per core when nil), each with single-threaded OpenBLAS (`ser worker --threads N`).
    static func lanes<T>(_ lanes: Int?, _ body: () throws -> T) rethrows -> T {
        try Engine.with(threads: lanes ?? ProcessInfo.processInfo.activeProcessorCount, body)
    }
}
