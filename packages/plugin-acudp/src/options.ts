import { z } from '@acgateway/core';
import { DEFAULT_RECV_BUFFER_BYTES } from './client/client.js';

const port = (what: string) => z.number().int().min(0, `${what} must be 0 to 65535`).max(65535, `${what} must be 0 to 65535`);

export const replaySchema = z
  .object({
    /** A recording made with `record`, or a raw capture (UDP payloads end to end, like acudpclient's `ac_out`). Relative paths: from the config file's folder. */
    file: z.string().min(1),
    /** 1 = original timing, 10 = ten times faster, 'max' = flat out. */
    speed: z.union([z.number().positive(), z.literal('max')]).default(1),
    /** Start again at the end. */
    loop: z.boolean().default(false),
    /** Spacing of a raw capture's messages at speed 1 (it has no times), ms. */
    gapMs: z.number().nonnegative().default(100),
  })
  .strict();

export const optionsSchema = z
  .object({
    /** Port the AC server sends events to (its `UDP_PLUGIN_ADDRESS` port). 0 = ephemeral. */
    listenPort: port('listenPort').default(12000),
    /** Address to bind; default 127.0.0.1 when serverHost is loopback, else 0.0.0.0. */
    listenHost: z.string().min(1).optional(),
    /** The AC server's host, where commands go. */
    serverHost: z.string().min(1).default('127.0.0.1'),
    /** The server's `UDP_PLUGIN_LOCAL_PORT`. */
    serverPort: port('serverPort').default(11000),
    /**
     * Whose datagrams are read: 'server' (only from serverHost's address; others are counted as
     * bad_input{kind="foreign_source"} and dropped) or 'any' (NAT, relays that change the source).
     */
    acceptFrom: z.enum(['server', 'any']).default('server'),
    /** With acceptFrom 'server': the datagrams' source port must be serverPort too (acServer sends from it). */
    checkSourcePort: z.boolean().default(false),
    /**
     * The UDP receive buffer asked of the OS (capped by net.core.rmem_max). It absorbs bursts while
     * the gateway is busy, but under a flood it is where data waits: its size over the read rate is
     * how old a car update can get. See the README, "Fresh under a flood".
     */
    recvBufferBytes: z.number().int().min(16 * 1024).max(64 << 20).default(DEFAULT_RECV_BUFFER_BYTES),
    /** Most GET_CAR_INFO requests askCarInfo sends per second (a burst of up to 4 seconds' worth is allowed). */
    carInfoPerSecond: z.number().positive().max(1000).default(8),
    /** Ask for CAR_UPDATEs at this interval (ms) at start and at every new session; unset = do not ask, 0 = off. */
    realtimeIntervalMs: z.number().int().min(0).max(65535).optional(),
    /**
     * Also publish `acudp/car_updates`: the car updates that arrived together (one per car per
     * interval, normally) as one message. A hundred clients then cost one frame per interval each
     * instead of one per car.
     */
    batchCarUpdates: z.boolean().default(true),
    /**
     * Ask the server (GET_CAR_INFO) about a car that sends updates or loads without a known driver:
     * a gateway started after the drivers joined missed their NEW_CONNECTION and would show no names.
     */
    askCarInfo: z.boolean().default(true),
    /** How long `ac session` / `ac car` wait for the server's answer, ms. */
    requestTimeoutMs: z.number().int().positive().default(2000),
    /** Replay a file instead of listening to a server (commands are then refused). */
    replay: replaySchema.optional(),
    /** Record every datagram (both directions) to this file (format in the README). */
    record: z.object({ file: z.string().min(1) }).strict().optional(),
  })
  .strict();

export type AcudpOptions = z.output<typeof optionsSchema>;
export type AcudpOptionsInput = z.input<typeof optionsSchema>;
