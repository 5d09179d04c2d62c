export async function spinCampaign(_n: number, _seed: number, _verbose: boolean): Promise<number> {
  throw new Error('not yet');
}
