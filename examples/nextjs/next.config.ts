import type { NextConfig } from 'next';

const nextConfig: NextConfig = {
  // The example lives inside the package's repository: build it as a project of its own.
  turbopack: { root: __dirname },
};

export default nextConfig;
