import { workerData } from 'node:worker_threads'
import { attach } from '@asyncdirect/core'

const { handle, id } = workerData
const writer = await attach(handle)
for (let i = 0; i < 50_000; i++) {
  writer.log(`{"level":"info","thread":"worker${id}","seq":${i},"msg":"job done"}`)
}
writer.detach()
