import type { PiapiNotification } from '../core/types.js';

/**
 * Realistic PiAPI notifications, one per model and status that PiAPI documents.
 * Ids and URLs are invented (example.com hosts); shapes follow PiAPI's documents,
 * quirks included: null outputs while pending, the Go zero time for unset
 * times, the secret echoed in config.webhook_config.
 */
export const FIXTURES = {
  'faceswap-image-completed': {
    "timestamp": 1755783859,
    "data": {
      "task_id": "41beb069-3169-48be-a605-6f6011e663eb",
      "model": "Qubico/image-toolkit",
      "task_type": "face-swap",
      "status": "completed",
      "config": {
        "service_mode": "",
        "webhook_config": {
          "endpoint": "https://hooks.example.com/piapi/webhook",
          "secret": "s3cr3t-7f2c9a"
        }
      },
      "input": {
        "swap_image": "https://assets.example.com/uploads/face-a.jpg",
        "target_image": "https://assets.example.com/uploads/scene-b.jpg"
      },
      "output": {
        "image_url": "https://img.example.com/temp/574da00d-9383-4a5f-98a4-03ca0fb04baf.png"
      },
      "meta": {
        "created_at": "2025-08-21T13:44:10.019382Z",
        "started_at": "2025-08-21T13:44:10.87712Z",
        "ended_at": "2025-08-21T13:44:19.300912Z",
        "usage": {
          "type": "llm",
          "frozen": 0,
          "consume": 10000
        },
        "is_using_private_pool": false
      },
      "detail": null,
      "logs": [],
      "error": {
        "code": 0,
        "raw_message": "",
        "message": "",
        "detail": null
      }
    }
  },
  'flux-img2img-pending': {
    "timestamp": 1755680708,
    "data": {
      "task_id": "75328910-7efd-42e1-9f78-47dc5b27b4f1",
      "model": "Qubico/flux1-dev",
      "task_type": "img2img",
      "status": "pending",
      "config": {
        "webhook_config": {
          "endpoint": "https://hooks.example.com/piapi/webhook",
          "secret": ""
        }
      },
      "input": {
        "height": 0,
        "image": "https://assets.example.com/uploads/sketch-42.jpg",
        "negative_prompt": "",
        "prompt": "a bear in a raincoat, children's book style",
        "steps": 0,
        "width": 0
      },
      "output": null,
      "meta": {
        "created_at": "2025-08-20T09:05:08.333962391Z",
        "started_at": "0001-01-01T00:00:00Z",
        "ended_at": "0001-01-01T00:00:00Z",
        "usage": {
          "type": "quota",
          "frozen": 0,
          "consume": 20000
        },
        "is_using_private_pool": false
      },
      "detail": null,
      "logs": [],
      "error": {
        "code": 0,
        "raw_message": "",
        "message": "",
        "detail": null
      }
    }
  },
  'flux-txt2img-completed': {
    "timestamp": 1755680407,
    "data": {
      "task_id": "f55636a5-df65-42ba-9402-8addbd322ab5",
      "model": "Qubico/flux1-schnell",
      "task_type": "txt2img",
      "status": "completed",
      "config": {
        "service_mode": "",
        "webhook_config": {
          "endpoint": "https://hooks.example.com/piapi/webhook",
          "secret": "s3cr3t-7f2c9a"
        }
      },
      "input": {
        "height": 1024,
        "prompt": "a ceramic teapot shaped like a snail, studio lighting",
        "width": 1024
      },
      "output": {
        "image_base64": "",
        "image_url": "https://img.example.com/temp/2c95621b-0a63-4659-9bd9-f7b68f2fb77e.png"
      },
      "meta": {
        "created_at": "2025-08-20T09:00:01.181101Z",
        "started_at": "2025-08-20T09:00:02.440028Z",
        "ended_at": "2025-08-20T09:00:07.912731Z",
        "usage": {
          "type": "llm",
          "frozen": 0,
          "consume": 30000
        },
        "is_using_private_pool": false
      },
      "detail": null,
      "logs": [],
      "error": {
        "code": 0,
        "raw_message": "",
        "message": "",
        "detail": null
      }
    }
  },
  'kling-video-generation-completed': {
    "timestamp": 1755583613,
    "data": {
      "task_id": "b10700cd-6c48-4a13-ab14-4d7dc53f246b",
      "model": "kling",
      "task_type": "video_generation",
      "status": "completed",
      "config": {
        "service_mode": "public",
        "webhook_config": {
          "endpoint": "https://hooks.example.com/piapi/webhook",
          "secret": "s3cr3t-7f2c9a"
        }
      },
      "input": {
        "aspect_ratio": "16:9",
        "cfg_scale": 0.5,
        "duration": 5,
        "mode": "std",
        "negative_prompt": "",
        "prompt": "a red fox trotting through fresh snow, tracking shot",
        "version": "2.1"
      },
      "output": {
        "type": "m2v_txt2video",
        "status": 99,
        "video_url": "https://storage.example.com/videos/1cbebb65-1d02-49ae-b581-c1fb27ef524d.mp4",
        "works": [
          {
            "status": 99,
            "type": "m2v_txt2video",
            "cover": {
              "resource": "https://cdn.example.net/kling/1cbebb65-1d02-49ae-b581-c1fb27ef524d/cover.png",
              "resource_without_watermark": "",
              "height": 720,
              "width": 1280,
              "duration": 0
            },
            "video": {
              "resource": "https://cdn.example.net/kling/1cbebb65-1d02-49ae-b581-c1fb27ef524d/video.mp4",
              "resource_without_watermark": "https://storage.example.com/videos/1cbebb65-1d02-49ae-b581-c1fb27ef524d.mp4",
              "height": 720,
              "width": 1280,
              "duration": 5100
            }
          }
        ]
      },
      "meta": {
        "created_at": "2025-08-19T06:03:48.2201Z",
        "started_at": "2025-08-19T06:03:49.0113Z",
        "ended_at": "2025-08-19T06:06:53.7719Z",
        "usage": {
          "type": "point",
          "frozen": 0,
          "consume": 2600000
        },
        "is_using_private_pool": false
      },
      "detail": null,
      "logs": [],
      "error": {
        "code": 0,
        "raw_message": "",
        "message": "",
        "detail": null
      }
    }
  },
  'kling-video-generation-failed': {
    "timestamp": 1755587800,
    "data": {
      "task_id": "e0fa490e-bf9e-4d87-afae-f62e86de7433",
      "model": "kling",
      "task_type": "video_generation",
      "status": "failed",
      "config": {
        "service_mode": "public",
        "webhook_config": {
          "endpoint": "https://hooks.example.com/piapi/webhook",
          "secret": "s3cr3t-7f2c9a"
        }
      },
      "input": {
        "aspect_ratio": "9:16",
        "duration": 10,
        "image_url": "https://assets.example.com/uploads/portrait-01.png",
        "mode": "pro",
        "prompt": "the subject turns and smiles",
        "version": "2.1"
      },
      "output": null,
      "meta": {
        "created_at": "2025-08-19T07:15:02.4411Z",
        "started_at": "2025-08-19T07:15:03.9031Z",
        "ended_at": "2025-08-19T07:16:40.0056Z",
        "usage": {
          "type": "point",
          "frozen": 2600000,
          "consume": 0
        },
        "is_using_private_pool": false
      },
      "detail": null,
      "logs": [],
      "error": {
        "code": 10000,
        "raw_message": "input image failed content moderation",
        "message": "task failed, credits have been refunded",
        "detail": {}
      }
    }
  },
  'luma-video-generation-completed': {
    "timestamp": 1755481159,
    "data": {
      "task_id": "5a5d83de-a45f-4532-b479-a2646608c673",
      "model": "luma",
      "task_type": "video_generation",
      "status": "completed",
      "config": {
        "service_mode": "",
        "webhook_config": {
          "endpoint": "https://hooks.example.com/piapi/webhook",
          "secret": "s3cr3t-7f2c9a"
        }
      },
      "input": {
        "aspect_ratio": "4:3",
        "duration": 5,
        "model_name": "ray-v2",
        "prompt": "kayak gliding through a misty fjord"
      },
      "output": {
        "prompt": "kayak gliding through a misty fjord",
        "internal_state": "completed",
        "created_at": "2025-08-18T01:36:13.128Z",
        "video": {
          "url": "https://videos.example.net/luma/1eaf3f8e-e998-44ee-9400-d142eb6a01f3/kayak_watermarked.mp4",
          "width": 1152,
          "height": 864
        },
        "video_raw": {
          "url": "https://videos.example.net/luma/e6e035db-1d5e-48c8-8024-eb5ad3badb62/kayak.mp4",
          "width": 1152,
          "height": 864
        },
        "thumbnail": {
          "url": "https://images.example.net/luma/d631920a-b38b-41ec-9bec-be563cd1a5b3/thumb.jpg",
          "width": 1152,
          "height": 864
        },
        "last_frame": {
          "url": "https://images.example.net/luma/8ac51d8c-b45d-4182-b37b-0c816f14b370/last_frame.jpg",
          "width": 1152,
          "height": 864
        }
      },
      "meta": {
        "created_at": "2025-08-18T01:36:08.845623268Z",
        "started_at": "2025-08-18T01:36:09.916531685Z",
        "ended_at": "2025-08-18T01:39:19.64761255Z",
        "usage": {
          "type": "point",
          "frozen": 2000000,
          "consume": 2000000
        },
        "is_using_private_pool": false,
        "failover_triggered": false
      },
      "detail": null,
      "logs": null,
      "error": {
        "code": 0,
        "raw_message": "",
        "message": "",
        "detail": null
      }
    }
  },
  'luma-video-generation-pending': {
    "timestamp": 1755483044,
    "data": {
      "task_id": "f7daa719-499c-4710-8f81-3c3e5217bb99",
      "model": "luma",
      "task_type": "video_generation",
      "status": "pending",
      "config": {
        "service_mode": "",
        "webhook_config": {
          "endpoint": "https://hooks.example.com/piapi/webhook",
          "secret": "s3cr3t-7f2c9a"
        }
      },
      "input": {
        "aspect_ratio": "16:9",
        "duration": 5,
        "model_name": "ray-v2",
        "prompt": "paper boats racing down a rain gutter"
      },
      "output": {
        "prompt": "",
        "internal_state": "",
        "created_at": "0001-01-01T00:00:00Z",
        "video": null,
        "video_raw": null,
        "thumbnail": null,
        "last_frame": null
      },
      "meta": {
        "created_at": "2025-08-18T02:10:44.10244561Z",
        "started_at": "0001-01-01T00:00:00Z",
        "ended_at": "0001-01-01T00:00:00Z",
        "usage": {
          "type": "point",
          "frozen": 2000000,
          "consume": 0
        },
        "is_using_private_pool": false,
        "failover_triggered": false
      },
      "detail": null,
      "logs": null,
      "error": {
        "code": 0,
        "raw_message": "",
        "message": "",
        "detail": null
      }
    }
  },
  'midjourney-imagine-completed': {
    "timestamp": 1755163301,
    "data": {
      "task_id": "a541958f-e99a-47b5-8a1c-7e9e07b26d56",
      "model": "midjourney",
      "task_type": "imagine",
      "status": "completed",
      "config": {
        "service_mode": "public",
        "webhook_config": {
          "endpoint": "https://hooks.example.com/piapi/webhook",
          "secret": "s3cr3t-7f2c9a"
        }
      },
      "input": {
        "aspect_ratio": "16:9",
        "bot_id": 0,
        "process_mode": "fast",
        "prompt": "a lighthouse on a basalt cliff at dusk, oil painting",
        "skip_prompt_check": false
      },
      "output": {
        "image_url": "https://img.example.com/mj/a541958f-e99a-47b5-8a1c-7e9e07b26d56.png",
        "image_urls": null,
        "temporary_image_urls": [
          "https://img.example.com/cdn-cgi/image/trim=0;1456;816;0/mj/a541958f-e99a-47b5-8a1c-7e9e07b26d56.png",
          "https://img.example.com/cdn-cgi/image/trim=0;0;816;1456/mj/a541958f-e99a-47b5-8a1c-7e9e07b26d56.png",
          "https://img.example.com/cdn-cgi/image/trim=816;1456;0;0/mj/a541958f-e99a-47b5-8a1c-7e9e07b26d56.png",
          "https://img.example.com/cdn-cgi/image/trim=816;0;0;1456/mj/a541958f-e99a-47b5-8a1c-7e9e07b26d56.png"
        ],
        "discord_image_url": "",
        "actions": [
          "reroll",
          "upscale1",
          "upscale2",
          "upscale3",
          "upscale4",
          "variation1",
          "variation2",
          "variation3",
          "variation4"
        ],
        "progress": 100,
        "intermediate_image_urls": null
      },
      "meta": {
        "created_at": "2025-08-14T09:21:03Z",
        "started_at": "2025-08-14T09:21:06Z",
        "ended_at": "2025-08-14T09:21:41Z",
        "usage": {
          "type": "point",
          "frozen": 700000,
          "consume": 700000
        },
        "is_using_private_pool": false,
        "model_version": "unknown",
        "process_mode": "fast",
        "failover_triggered": false
      },
      "detail": null,
      "logs": [],
      "error": {
        "code": 0,
        "raw_message": "",
        "message": "",
        "detail": null
      }
    }
  },
  'midjourney-imagine-processing': {
    "timestamp": 1755165759,
    "data": {
      "task_id": "21632001-30ff-4b8a-81d5-3d74a6199f20",
      "model": "midjourney",
      "task_type": "imagine",
      "status": "processing",
      "config": {
        "service_mode": "private",
        "webhook_config": {
          "endpoint": "https://hooks.example.com/piapi/webhook",
          "secret": "s3cr3t-7f2c9a"
        }
      },
      "input": {
        "aspect_ratio": "1:1",
        "bot_id": 0,
        "process_mode": "relax",
        "prompt": "isometric voxel city block, morning fog",
        "skip_prompt_check": false
      },
      "output": {
        "image_url": "",
        "image_urls": null,
        "temporary_image_urls": null,
        "discord_image_url": "",
        "actions": [],
        "progress": 46,
        "intermediate_image_urls": [
          "https://img.example.com/mj/intermediate/21632001-30ff-4b8a-81d5-3d74a6199f20_46.webp"
        ]
      },
      "meta": {
        "created_at": "2025-08-14T10:02:11Z",
        "started_at": "2025-08-14T10:02:14Z",
        "ended_at": "0001-01-01T00:00:00Z",
        "usage": {
          "type": "point",
          "frozen": 700000,
          "consume": 0
        },
        "is_using_private_pool": true,
        "model_version": "unknown",
        "process_mode": "relax",
        "failover_triggered": false
      },
      "detail": null,
      "logs": [],
      "error": {
        "code": 0,
        "raw_message": "",
        "message": "",
        "detail": null
      }
    }
  },
  'midjourney-imagine-staged': {
    "timestamp": 1755171601,
    "data": {
      "task_id": "5462687b-3324-49e8-8c29-0b56daa3688e",
      "model": "midjourney",
      "task_type": "imagine",
      "status": "staged",
      "config": {
        "service_mode": "",
        "webhook_config": {
          "endpoint": "https://hooks.example.com/piapi/webhook",
          "secret": "s3cr3t-7f2c9a"
        }
      },
      "input": {
        "aspect_ratio": "2:3",
        "bot_id": 0,
        "process_mode": "fast",
        "prompt": "botanical illustration of a fern, sepia ink",
        "skip_prompt_check": false
      },
      "output": {
        "image_url": "",
        "image_urls": null,
        "temporary_image_urls": null,
        "discord_image_url": "",
        "actions": null,
        "progress": 0,
        "intermediate_image_urls": null
      },
      "meta": {
        "created_at": "2025-08-14T11:40:00Z",
        "started_at": "0001-01-01T00:00:00Z",
        "ended_at": "0001-01-01T00:00:00Z",
        "usage": {
          "type": "point",
          "frozen": 700000,
          "consume": 0
        },
        "is_using_private_pool": false,
        "model_version": "unknown",
        "process_mode": "fast",
        "failover_triggered": false
      },
      "detail": null,
      "logs": [],
      "error": {
        "code": 0,
        "raw_message": "",
        "message": "",
        "detail": null
      }
    }
  },
  'midjourney-upscale-completed': {
    "timestamp": 1755163409,
    "data": {
      "task_id": "48c4f9e0-095f-4396-9655-dfc9ff695917",
      "model": "midjourney",
      "task_type": "upscale",
      "status": "completed",
      "config": {
        "service_mode": "public",
        "webhook_config": {
          "endpoint": "https://hooks.example.com/piapi/webhook",
          "secret": "s3cr3t-7f2c9a"
        }
      },
      "input": {
        "index": "2",
        "origin_task_id": "a541958f-e99a-47b5-8a1c-7e9e07b26d56"
      },
      "output": {
        "image_url": "https://img.example.com/mj/48c4f9e0-095f-4396-9655-dfc9ff695917.png",
        "image_urls": null,
        "temporary_image_urls": null,
        "discord_image_url": "https://media.example.net/attachments/358118032717796993/48c4f9e0-095f-4396-9655-dfc9ff695917.png",
        "actions": [
          "upscale_creative",
          "upscale_subtle",
          "high_variation",
          "low_variation",
          "outpaint_1.5x",
          "outpaint_2x",
          "pan_down",
          "pan_left",
          "pan_right",
          "pan_up"
        ],
        "progress": 100,
        "intermediate_image_urls": null
      },
      "meta": {
        "created_at": "2025-08-14T09:23:10Z",
        "started_at": "2025-08-14T09:23:12Z",
        "ended_at": "2025-08-14T09:23:29Z",
        "usage": {
          "type": "point",
          "frozen": 200000,
          "consume": 200000
        },
        "is_using_private_pool": false,
        "model_version": "unknown",
        "process_mode": "fast",
        "failover_triggered": false
      },
      "detail": null,
      "logs": [],
      "error": {
        "code": 0,
        "raw_message": "",
        "message": "",
        "detail": null
      }
    }
  },
  'midjourney-variation-failed': {
    "timestamp": 1755173162,
    "data": {
      "task_id": "783ade69-7ca2-42fe-b21e-38e7ea9f664c",
      "model": "midjourney",
      "task_type": "variation",
      "status": "failed",
      "config": {
        "service_mode": "public",
        "webhook_config": {
          "endpoint": "https://hooks.example.com/piapi/webhook",
          "secret": "s3cr3t-7f2c9a"
        }
      },
      "input": {
        "index": "3",
        "origin_task_id": "6b1b5c9c-cce2-4b60-9d4e-28856e6bdb44",
        "prompt": "a lighthouse on a basalt cliff at dusk, watercolor",
        "skip_prompt_check": false
      },
      "output": {
        "image_url": "",
        "image_urls": null,
        "temporary_image_urls": null,
        "discord_image_url": "",
        "actions": null,
        "progress": 0,
        "intermediate_image_urls": null
      },
      "meta": {
        "created_at": "2025-08-14T12:05:44Z",
        "started_at": "2025-08-14T12:05:47Z",
        "ended_at": "2025-08-14T12:06:02Z",
        "usage": {
          "type": "point",
          "frozen": 700000,
          "consume": 0
        },
        "is_using_private_pool": false,
        "model_version": "unknown",
        "process_mode": "fast",
        "failover_triggered": true
      },
      "detail": null,
      "logs": [],
      "error": {
        "code": 10000,
        "raw_message": "origin task image is no longer available for this action",
        "message": "failed to process the variation task",
        "detail": null
      }
    }
  },
  'suno-generate-music-custom-completed': {
    "timestamp": 1755314045,
    "data": {
      "task_id": "0144185c-3aad-481f-88e0-88824835b3a6",
      "model": "music-s",
      "task_type": "generate_music_custom",
      "status": "completed",
      "config": {
        "service_mode": "",
        "webhook_config": {
          "endpoint": "https://hooks.example.com/piapi/webhook",
          "secret": "s3cr3t-7f2c9a"
        }
      },
      "input": {
        "prompt": "[Verse]\nRain on the window, tea going cold\n[Chorus]\nSlow Sunday, let the hours unfold",
        "tags": "lo-fi, mellow piano",
        "title": "Slow Sunday",
        "make_instrumental": false
      },
      "output": {
        "clips": {
          "ec8502b6-6f85-461b-9e36-ab699fa7defe": {
            "id": "ec8502b6-6f85-461b-9e36-ab699fa7defe",
            "video_url": "https://cdn.example.net/suno/ec8502b6-6f85-461b-9e36-ab699fa7defe.mp4",
            "audio_url": "https://cdn.example.net/suno/ec8502b6-6f85-461b-9e36-ab699fa7defe.mp3",
            "image_url": "https://cdn.example.net/suno/image_ec8502b6-6f85-461b-9e36-ab699fa7defe.jpeg",
            "image_large_url": "https://cdn.example.net/suno/image_large_ec8502b6-6f85-461b-9e36-ab699fa7defe.jpeg",
            "is_video_pending": false,
            "major_model_version": "v3.5",
            "model_name": "chirp-v3",
            "metadata": {
              "tags": "lo-fi, mellow piano",
              "prompt": "[Verse]\nRain on the window, tea going cold\n[Chorus]\nSlow Sunday, let the hours unfold",
              "gpt_description_prompt": "",
              "audio_prompt_id": "",
              "history": null,
              "concat_history": null,
              "type": "gen",
              "duration": 142.6,
              "refund_credits": false,
              "stream": true,
              "error_type": "",
              "error_message": ""
            },
            "is_liked": false,
            "user_id": "",
            "display_name": "",
            "handle": "",
            "is_handle_updated": false,
            "is_trashed": false,
            "reaction": null,
            "created_at": "2025-08-16T03:12:40.511Z",
            "status": "complete",
            "title": "Slow Sunday",
            "play_count": 0,
            "upvote_count": 0,
            "is_public": false
          },
          "73b44d07-ac7a-4598-b37d-298043120a26": {
            "id": "73b44d07-ac7a-4598-b37d-298043120a26",
            "video_url": "https://cdn.example.net/suno/73b44d07-ac7a-4598-b37d-298043120a26.mp4",
            "audio_url": "https://cdn.example.net/suno/73b44d07-ac7a-4598-b37d-298043120a26.mp3",
            "image_url": "https://cdn.example.net/suno/image_73b44d07-ac7a-4598-b37d-298043120a26.jpeg",
            "image_large_url": "https://cdn.example.net/suno/image_large_73b44d07-ac7a-4598-b37d-298043120a26.jpeg",
            "is_video_pending": false,
            "major_model_version": "v3.5",
            "model_name": "chirp-v3",
            "metadata": {
              "tags": "lo-fi, mellow piano",
              "prompt": "[Verse]\nRain on the window, tea going cold\n[Chorus]\nSlow Sunday, let the hours unfold",
              "gpt_description_prompt": "",
              "audio_prompt_id": "",
              "history": null,
              "concat_history": null,
              "type": "gen",
              "duration": 151.2,
              "refund_credits": false,
              "stream": true,
              "error_type": "",
              "error_message": ""
            },
            "is_liked": false,
            "user_id": "",
            "display_name": "",
            "handle": "",
            "is_handle_updated": false,
            "is_trashed": false,
            "reaction": null,
            "created_at": "2025-08-16T03:12:40.511Z",
            "status": "complete",
            "title": "Slow Sunday",
            "play_count": 0,
            "upvote_count": 0,
            "is_public": false
          }
        }
      },
      "meta": {
        "created_at": "2025-08-16T03:12:31.402118733Z",
        "started_at": "2025-08-16T03:12:32.118446201Z",
        "ended_at": "2025-08-16T03:14:05.90031877Z",
        "usage": {
          "type": "point",
          "frozen": 200000,
          "consume": 200000
        },
        "is_using_private_pool": false
      },
      "detail": null,
      "logs": [],
      "error": {
        "code": 0,
        "raw_message": "",
        "message": "",
        "detail": null
      }
    }
  },
  'suno-generate-music-failed': {
    "timestamp": 1755316841,
    "data": {
      "task_id": "60bb9237-7f10-43e5-b726-e0abf369f7f3",
      "model": "music-s",
      "task_type": "generate_music",
      "status": "failed",
      "config": {
        "service_mode": "public",
        "webhook_config": {
          "endpoint": "https://hooks.example.com/piapi/webhook",
          "secret": "s3cr3t-7f2c9a"
        }
      },
      "input": {
        "gpt_description_prompt": "an upbeat surf-rock instrumental about a road trip",
        "make_instrumental": true
      },
      "output": null,
      "meta": {
        "created_at": "2025-08-16T04:00:02.93310021Z",
        "started_at": "2025-08-16T04:00:03.50111873Z",
        "ended_at": "2025-08-16T04:00:41.2290013Z",
        "usage": {
          "type": "point",
          "frozen": 200000,
          "consume": 0
        },
        "is_using_private_pool": false
      },
      "detail": null,
      "logs": [],
      "error": {
        "code": 10000,
        "raw_message": "suno api status: 429",
        "message": "upstream service is busy, please retry later",
        "detail": {
          "retryable": true
        }
      }
    }
  },
} satisfies Record<string, PiapiNotification>;
