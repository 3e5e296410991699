// The robocar camera stream over socket.io (http://127.0.0.1:3000/socket.io/): sensor_data and
// status at publishRate, ping/pong, wire-compatible with the original robocar clients.
import { defineConfig } from '@acgateway/core';
import robocar from '@acgateway/plugin-robocar';

const mjpegUrl = process.env.ROBOCAR_MJPEG_URL;

export default defineConfig({
  server: { port: 8090 },
  plugins: [
    robocar({
      port: 3000,
      publishRate: 10,
      // An IP camera or ESP32-CAM MJPEG stream if given, else the first V4L2 device through ffmpeg.
      camera: mjpegUrl ? { source: 'mjpeg', url: mjpegUrl } : { source: 'v4l2', device: process.env.ROBOCAR_DEVICE ?? '/dev/video0' },
    }),
  ],
});
