"""Tiny random-weight Wan pipelines built in the test itself and saved with ``save_pretrained``,
so the local video provider loads them through the real model-directory path
(``from_pretrained(..., local_files_only=True)``). Nothing is downloaded: the T5 tokenizer is
built from a vocabulary written here.

They have Wan's geometry (the VAE's 4x time and 8x space, 16x for Wan 2.2's; the transformer's
2x2 patches), so sizes and frame counts are constrained as a real model's are, but a few
channels and layers: a clip of 17 frames at 64x48 is drawn in a second or two on a CPU. The
pictures are noise-like; every step a real model takes runs (tokenizing, UMT5 encoding, CLIP
image encoding for Wan 2.1's image-to-video, the denoising loop, the VAE). torch and diffusers
are imported inside the functions (they live in .venv-torch only).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

TEXT_WIDTH = 32  # UMT5's hidden size, the transformer's text_dim
IMAGE_WIDTH = 8  # the CLIP vision encoder's hidden size, Wan 2.1 I2V's image_dim
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _tokenizer() -> Any:
    """A T5 tokenizer (a unigram model, as UMT5's) whose pieces are the letters, alone and
    word-initial: every word is tokenized letter by letter, anything else is <unk>."""
    from transformers import T5Tokenizer

    vocab = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("\u2581", -2.0)]
    vocab += [(letter, -3.0) for letter in LETTERS]
    vocab += [("\u2581" + letter, -3.5) for letter in LETTERS]
    return T5Tokenizer(vocab=vocab, extra_ids=0)


def _text_parts() -> dict[str, Any]:
    """The tokenizer and UMT5 text encoder, the same weights at every call (a t2v/ and i2v/
    pair then holds the same files, as Wan 2.1's do)."""
    import torch
    from transformers import UMT5Config, UMT5EncoderModel

    tokenizer = _tokenizer()
    torch.manual_seed(0)
    encoder = UMT5EncoderModel(
        UMT5Config(
            vocab_size=len(tokenizer),
            d_model=TEXT_WIDTH,
            d_kv=8,
            d_ff=32,
            num_layers=1,
            num_heads=4,
            relative_attention_num_buckets=8,
            relative_attention_max_distance=16,
            pad_token_id=0,
            eos_token_id=1,
            decoder_start_token_id=0,
        )
    )
    return {"tokenizer": tokenizer, "text_encoder": encoder}


def _vae_21() -> Any:
    """Wan 2.1's VAE shape: 16 latent channels, 8x in space, 4x in time."""
    import torch
    from diffusers import AutoencoderKLWan

    torch.manual_seed(0)
    return AutoencoderKLWan(
        base_dim=3,
        z_dim=16,
        dim_mult=[1, 1, 1, 1],
        num_res_blocks=1,
        temperal_downsample=[False, True, True],
    )


def _vae_22() -> Any:
    """Wan 2.2's VAE shape: 48 latent channels over 2x2-packed pixels, 16x in space."""
    import torch
    from diffusers import AutoencoderKLWan

    torch.manual_seed(0)
    return AutoencoderKLWan(
        base_dim=3,
        z_dim=48,
        in_channels=12,
        out_channels=12,
        is_residual=True,
        patch_size=2,
        latents_mean=[0.0] * 48,
        latents_std=[1.0] * 48,
        dim_mult=[1, 1, 1, 1],
        num_res_blocks=1,
        scale_factor_spatial=16,
        scale_factor_temporal=4,
        temperal_downsample=[False, True, True],
    )


def _transformer(in_channels: int, out_channels: int, **extra: Any) -> Any:
    import torch
    from diffusers import WanTransformer3DModel

    torch.manual_seed(0)
    return WanTransformer3DModel(
        patch_size=(1, 2, 2),
        num_attention_heads=2,
        attention_head_dim=12,
        in_channels=in_channels,
        out_channels=out_channels,
        text_dim=TEXT_WIDTH,
        freq_dim=256,
        ffn_dim=32,
        num_layers=2,
        cross_attn_norm=True,
        qk_norm="rms_norm_across_heads",
        rope_max_seq_len=1024,
        **extra,
    )


def _scheduler() -> Any:
    from diffusers import FlowMatchEulerDiscreteScheduler

    return FlowMatchEulerDiscreteScheduler(shift=3.0)


def save_text_to_video_model(directory: Path) -> Path:
    """A Wan 2.1 T2V-shaped ``WanPipeline``."""
    from diffusers import WanPipeline

    WanPipeline(
        **_text_parts(),
        vae=_vae_21(),
        scheduler=_scheduler(),
        transformer=_transformer(16, 16),
    ).save_pretrained(directory)
    return directory


def save_image_to_video_model(directory: Path) -> Path:
    """A Wan 2.1 I2V-shaped ``WanImageToVideoPipeline``: the first frame's latents and mask
    beside the noise (36 channels in) and a CLIP vision encoder's features."""
    import torch
    from diffusers import WanImageToVideoPipeline
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModel

    torch.manual_seed(0)
    image_encoder = CLIPVisionModel(
        CLIPVisionConfig(
            hidden_size=IMAGE_WIDTH,
            projection_dim=IMAGE_WIDTH,
            num_hidden_layers=2,
            num_attention_heads=2,
            image_size=32,
            intermediate_size=16,
            patch_size=4,
        )
    )
    WanImageToVideoPipeline(
        **_text_parts(),
        vae=_vae_21(),
        scheduler=_scheduler(),
        transformer=_transformer(36, 16, image_dim=IMAGE_WIDTH),
        image_encoder=image_encoder,
        image_processor=CLIPImageProcessor(crop_size=32, size=32),
    ).save_pretrained(directory)
    return directory


def save_text_image_to_video_model(directory: Path) -> Path:
    """A Wan 2.2 TI2V-5B-shaped ``WanPipeline`` (``expand_timesteps``, Wan 2.2's VAE): one
    model for text-to-video and image-to-video."""
    from diffusers import UniPCMultistepScheduler, WanPipeline

    WanPipeline(
        **_text_parts(),
        vae=_vae_22(),
        scheduler=UniPCMultistepScheduler(
            prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=5.0
        ),
        transformer=_transformer(48, 48),
        expand_timesteps=True,
    ).save_pretrained(directory)
    return directory


def save_model_pair(directory: Path) -> Path:
    """Wan 2.1's two models side by side, ``t2v/`` and ``i2v/``: the same text encoder,
    tokenizer and VAE files in both."""
    save_text_to_video_model(directory / "t2v")
    save_image_to_video_model(directory / "i2v")
    return directory
