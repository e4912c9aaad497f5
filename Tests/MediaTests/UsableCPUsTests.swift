import Foundation
import NIOCore
import Testing

@testable import Media

@Suite struct UsableCPUsTests {
    @Test func theAllowedMaskIsCounted() {
        #expect(MediaEngine.allowedCPUs(status: "Name:\tgateway\nCpus_allowed:\t3\nCpus_allowed_list:\t0-1\n") == 2)
        #expect(MediaEngine.allowedCPUs(status: "Cpus_allowed:\tffffffff,00000001\n") == 33)
        #expect(MediaEngine.allowedCPUs(status: "Cpus_allowed:\tzz\n") == nil)
        #expect(MediaEngine.allowedCPUs(status: "Name:\tgateway\n") == nil)
    }

    /// A thread pinned to one CPU (as `taskset -c 0` pins a process) counts one usable CPU.
    @Test func aPinnedThreadCountsOne() async throws {
        #expect(MediaEngine.usableCPUs >= 1 && MediaEngine.usableCPUs <= System.coreCount)
        let pinned: Int? = await withCheckedContinuation { continuation in
            Thread {
                // /proc/thread-self is "<pid>/task/<tid>".
                guard let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self"),
                    let tid = link.split(separator: "/").last
                else { return continuation.resume(returning: nil) }
                let taskset = Process()
                taskset.executableURL = URL(fileURLWithPath: "/usr/bin/taskset")
                taskset.arguments = ["-p", "-c", "0", String(tid)]
                taskset.standardOutput = FileHandle.nullDevice
                guard (try? taskset.run()) != nil else { return continuation.resume(returning: nil) }
                taskset.waitUntilExit()
                continuation.resume(returning: taskset.terminationStatus == 0 ? MediaEngine.usableCPUs : nil)
            }.start()
        }
        #expect(pinned == 1)
    }
}
