import FuzzTargets

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzTarget.csv.run(UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size))
    return 0
}
