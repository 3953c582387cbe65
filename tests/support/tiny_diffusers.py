"""Tiny random-weight diffusers pipelines built in the test itself and saved with
``save_pretrained``, so the local diffusion providers load them through the real
model-directory path (``from_pretrained(..., local_files_only=True)``). Nothing is downloaded:
the CLIP tokenizer is built from a vocabulary written here.

The models draw noise-like pictures, but every step a real model takes runs: tokenizing,
text encoding, the UNet's denoising loop, the VAE, the inpainting pipelines' masked latents.
torch and diffusers are imported inside the functions (they live in .venv-torch only).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

TEXT_WIDTH = 16  # the text encoder's hidden size and the UNet's cross-attention width
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _tokenizer(directory: Path) -> Any:
    """A CLIP tokenizer whose vocabulary is the letters (each alone and word-final) with no
    merges: every word is tokenized letter by letter."""
    from transformers import CLIPTokenizer

    vocab: dict[str, int] = {"<|startoftext|>": 0, "<|endoftext|>": 1, "!": 2}
    for letter in LETTERS:
        vocab[letter] = len(vocab)
        vocab[letter + "</w>"] = len(vocab)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "vocab.json").write_text(json.dumps(vocab))
    (directory / "merges.txt").write_text("#version: 0.2\n")
    return CLIPTokenizer(
        str(directory / "vocab.json"), str(directory / "merges.txt"), model_max_length=77
    )


def _text_encoder() -> Any:
    from transformers import CLIPTextConfig, CLIPTextModel

    return CLIPTextModel(
        CLIPTextConfig(
            bos_token_id=0,
            eos_token_id=1,
            pad_token_id=1,
            hidden_size=TEXT_WIDTH,
            intermediate_size=32,
            num_attention_heads=2,
            num_hidden_layers=1,
            vocab_size=2 * len(LETTERS) + 3,
            max_position_embeddings=77,
            projection_dim=TEXT_WIDTH,
        )
    )


def _unet(in_channels: int, **extra: Any) -> Any:
    from diffusers import UNet2DConditionModel

    return UNet2DConditionModel(
        block_out_channels=(8, 16),
        layers_per_block=1,
        sample_size=16,
        in_channels=in_channels,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=TEXT_WIDTH,
        norm_num_groups=4,
        attention_head_dim=2,
        **extra,
    )


def _vae(scaling_factor: float = 0.18215) -> Any:
    """Two blocks: an image is 2x its latents (a real model's VAE: 8x)."""
    from diffusers import AutoencoderKL

    return AutoencoderKL(
        block_out_channels=(8, 8),
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"),
        latent_channels=4,
        norm_num_groups=4,
        sample_size=32,
        scaling_factor=scaling_factor,
    )


def _stable_diffusion_parts(directory: Path, unet_in_channels: int) -> dict[str, Any]:
    import torch
    from diffusers import DDIMScheduler

    torch.manual_seed(0)
    return {
        "unet": _unet(unet_in_channels),
        "vae": _vae(),
        "text_encoder": _text_encoder(),
        "tokenizer": _tokenizer(directory / "_vocab"),
        "scheduler": DDIMScheduler(steps_offset=1, clip_sample=False),
        "safety_checker": None,
        "feature_extractor": None,
        "requires_safety_checker": False,
    }


def save_inpaint_model(directory: Path) -> Path:
    """A Stable Diffusion inpainting model (a 9-channel UNet: latents, mask, masked image)."""
    from diffusers import StableDiffusionInpaintPipeline

    StableDiffusionInpaintPipeline(**_stable_diffusion_parts(directory, 9)).save_pretrained(
        directory
    )
    return directory


def save_text_to_image_model(directory: Path) -> Path:
    """A Stable Diffusion text-to-image model (its inpainting variant shares its weights)."""
    from diffusers import StableDiffusionPipeline

    StableDiffusionPipeline(**_stable_diffusion_parts(directory, 4)).save_pretrained(directory)
    return directory


def save_upscaler_model(directory: Path) -> Path:
    """A Stable Diffusion x4-upscaler-shaped model (here 2x: the tiny VAE's factor)."""
    import torch
    from diffusers import DDIMScheduler, DDPMScheduler, StableDiffusionUpscalePipeline

    torch.manual_seed(0)
    StableDiffusionUpscalePipeline(
        vae=_vae(scaling_factor=0.08333),
        text_encoder=_text_encoder(),
        tokenizer=_tokenizer(directory / "_vocab"),
        unet=_unet(7, num_class_embeds=400),
        low_res_scheduler=DDPMScheduler(),
        scheduler=DDIMScheduler(prediction_type="v_prediction", steps_offset=1, clip_sample=False),
        safety_checker=None,
        watermarker=None,
        feature_extractor=None,
        max_noise_level=350,
    ).save_pretrained(directory)
    return directory
