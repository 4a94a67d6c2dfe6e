import { parentPort, workerData } from 'node:worker_threads'
import { attach } from '@asyncdirect/core'
import { line, lineString } from './line.mjs'

const { handle, api, lines } = workerData
const writer = await attach(handle)
const bytes = line()
const text = lineString()
parentPort.once('message', () => {
  if (api === 'logBytes') for (let i = 0; i < lines; i++) writer.logBytes(bytes)
  else for (let i = 0; i < lines; i++) writer.log(text)
  writer.detach()
  process.exit(0)
})
parentPort.postMessage('ready')
