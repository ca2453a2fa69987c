import BLAS
import Foundation
import SERCommands

// Pick the fastest OpenBLAS kernels before any BLAS call (see BLASKernels). When this OpenBLAS
// cannot switch in-process, run again once with OPENBLAS_CORETYPE set: the library reads it at load.
if BLASKernels.selection.source == .restartNeeded, let core = BLASKernels.selection.recommendedCore {
    setenv("OPENBLAS_CORETYPE", core, 1)
    let arguments = CommandLine.arguments.map { strdup($0) } + [nil]
    execv("/proc/self/exe", arguments)
    // execv returns only on failure: carry on with the slower kernels.
}

// A listing whose reader has gone (`ser runs | head -1`) ends quietly with status 0 (see ClosedOutput).
ClosedOutput.endQuietly()
SER.main()
